// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): the HCL reader for the subset np writes (HCL1-like:
// blocks with labels, attributes, lists, comments), used for agent config files and ACL policy rules.

export const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
/** Merges b into a: objects recursively, lists as a set union, scalars replaced. */
export function deepMerge(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (isObj(out[k]) && isObj(v)) out[k] = deepMerge(out[k], v);
    else if (Array.isArray(out[k]) && Array.isArray(v)) out[k] = [...new Set([...out[k], ...v])];
    else out[k] = v;
  }
  return out;
}

function tokenize(src, file) {
  const toks = [];
  let i = 0;
  let line = 1;
  let col = 1;
  const fail = (l, c, msg) => {
    throw new Error(`At ${l}:${c}: ${msg}`);
  };
  const adv = (n) => {
    for (let k = 0; k < n; k++, i++) {
      if (src[i] === "\n") {
        line++;
        col = 1;
      } else col++;
    }
  };
  const NUM = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
  const ID = /[A-Za-z_][\w.-]*/y;
  while (i < src.length) {
    const ch = src[i];
    if (/\s/.test(ch)) adv(1);
    else if (ch === "#" || (ch === "/" && src[i + 1] === "/"))
      while (i < src.length && src[i] !== "\n") adv(1);
    else if (ch === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) fail(line, col, "comment not terminated");
      adv(end + 2 - i);
    } else if ("{}[]=,:".includes(ch)) {
      toks.push({ t: ch, l: line, c: col });
      adv(1);
    } else if (ch === '"') {
      const at = { l: line, c: col };
      let s = "";
      adv(1);
      for (;;) {
        const c = src[i];
        if (c === undefined || c === "\n") fail(at.l, at.c, "literal not terminated");
        if (c === '"') break;
        if (c === "\\") {
          const e = src[i + 1];
          const map = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", "/": "/" };
          if (e === "u") {
            s += String.fromCharCode(Number.parseInt(src.slice(i + 2, i + 6), 16));
            adv(6);
          } else if (e in map) {
            s += map[e];
            adv(2);
          } else fail(line, col, `unknown escape sequence \\${e}`);
        } else {
          s += c;
          adv(1);
        }
      }
      adv(1);
      toks.push({ t: "str", v: s, ...at });
    } else if (ch === "<" && src[i + 1] === "<") {
      fail(line, col, `heredoc strings are not supported by np's Nomad double (${file})`);
    } else {
      NUM.lastIndex = i;
      ID.lastIndex = i;
      const num = NUM.exec(src);
      const id = num ? null : ID.exec(src);
      if (!num && !id) fail(line, col, `illegal char ${JSON.stringify(ch)}`);
      toks.push(
        num ? { t: "num", v: Number(num[0]), l: line, c: col } : { t: "id", v: id[0], l: line, c: col },
      );
      adv((num ?? id)[0].length);
    }
  }
  return toks;
}

/** Parses HCL text into a plain object: blocks become objects (labels nest), repeated blocks merge. */
export function parseHcl(src, file = "<input>") {
  const toks = tokenize(src, file);
  let p = 0;
  const fail = (t, msg) => {
    throw new Error(t ? `At ${t.l}:${t.c}: ${msg}` : `At EOF: ${msg}`);
  };
  const expect = (ty) => {
    const t = toks[p];
    if (t?.t !== ty) fail(t, `expected '${ty}' but found ${t ? (t.v ?? t.t) : "end of file"}`);
    p++;
  };
  const value = () => {
    const t = toks[p++];
    if (!t) fail(t, "expected a value");
    if (t.t === "str" || t.t === "num") return t.v;
    if (t.t === "id" && (t.v === "true" || t.v === "false")) return t.v === "true";
    if (t.t === "[") {
      const list = [];
      while (toks[p] && toks[p].t !== "]") {
        list.push(value());
        if (toks[p]?.t === ",") p++;
      }
      expect("]");
      return list;
    }
    if (t.t === "{") {
      const o = body("}");
      expect("}");
      return o;
    }
    return fail(t, `unexpected token ${t.v ?? t.t}`);
  };
  const body = (end) => {
    const out = {};
    while (toks[p] && toks[p].t !== end) {
      const k = toks[p++];
      if (k.t !== "id" && k.t !== "str") fail(k, `expected a key, found '${k.t}'`);
      if (toks[p]?.t === "=" || toks[p]?.t === ":") {
        p++;
        const v = value();
        out[k.v] = isObj(out[k.v]) && isObj(v) ? deepMerge(out[k.v], v) : v;
        if (toks[p]?.t === ",") p++;
        continue;
      }
      const labels = [];
      while (toks[p]?.t === "str" || toks[p]?.t === "id") labels.push(toks[p++].v);
      expect("{");
      let v = body("}");
      expect("}");
      for (const l of labels.reverse()) v = { [l]: v };
      out[k.v] = isObj(out[k.v]) ? deepMerge(out[k.v], v) : v;
    }
    return out;
  };
  const out = body(undefined);
  if (p < toks.length) fail(toks[p], `unexpected '${toks[p].t}'`);
  return out;
}
