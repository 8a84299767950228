// OpenObserve TEST DOUBLE: POST /api/{org}/_search over the records the double stored, with a small SQL subset:
//   SELECT * | col[, col...] | count(*) [AS name] | count(col) [AS name]  FROM "stream" | stream
//   [WHERE cond (AND|OR) cond ...]   cond: col = | != | <> | < | <= | > | >= literal, col [NOT] LIKE 'pat',
//                                          col IS [NOT] NULL, ( ... )      literal: 'text' or a number
//   [ORDER BY col [ASC|DESC]] [LIMIT n] [OFFSET n]
// Records are filtered to start_time <= _timestamp < end_time (µs). Without ORDER BY, hits are ordered by
// _timestamp DESC (src/service/search/sql.rs adds that order for non-aggregate queries). Anything else is refused
// with a 400 naming the double, so a test never mistakes an unsupported query for an empty result.

export class UnsupportedSql extends Error {}

const TOKEN =
  /\s*(?:(?<str>'(?:[^']|'')*')|(?<qid>"(?:[^"]|"")*")|(?<num>-?\d+(?:\.\d+)?)|(?<op><=|>=|<>|!=|=|<|>|\(|\)|,|\*)|(?<word>[A-Za-z_@][A-Za-z0-9_@.]*))/y;

function tokenize(sql) {
  const out = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  const text = sql.trim().replace(/;$/, "");
  while (at < text.length) {
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new UnsupportedSql(`cannot read the SQL at: ${text.slice(at, at + 20)}`);
    const g = m.groups;
    if (g.str !== undefined) out.push({ t: "str", v: g.str.slice(1, -1).replaceAll("''", "'") });
    else if (g.qid !== undefined) out.push({ t: "id", v: g.qid.slice(1, -1).replaceAll('""', '"') });
    else if (g.num !== undefined) out.push({ t: "num", v: Number(g.num) });
    else if (g.op !== undefined) out.push({ t: "op", v: g.op });
    else out.push({ t: "word", v: g.word });
    at = TOKEN.lastIndex;
    while (at < text.length && /\s/.test(text[at])) at++;
  }
  return out;
}

/** Parses the SQL subset into { columns, stream, where, orderBy, limit, offset }. */
export function parseSql(sql) {
  const toks = tokenize(sql);
  let i = 0;
  const peek = () => toks[i];
  const kw = (w) => peek()?.t === "word" && peek().v.toUpperCase() === w;
  const eat = (w) => {
    if (!kw(w)) throw new UnsupportedSql(`expected ${w}`);
    i++;
  };
  const op = (v) => peek()?.t === "op" && peek().v === v;
  const ident = () => {
    const t = toks[i++];
    if (!t || (t.t !== "word" && t.t !== "id")) throw new UnsupportedSql("expected a column or stream name");
    return t.v;
  };
  eat("SELECT");
  const columns = [];
  do {
    if (columns.length) i++;
    if (op("*")) {
      i++;
      columns.push({ star: true });
    } else if (kw("COUNT")) {
      i++;
      if (!op("(")) throw new UnsupportedSql("expected ( after count");
      i++;
      let field = null;
      if (op("*")) i++;
      else field = ident();
      if (!op(")")) throw new UnsupportedSql("expected )");
      i++;
      let as = field ? `count(${field})` : "count(*)";
      if (kw("AS")) {
        i++;
        as = ident();
      }
      columns.push({ count: true, field, as });
    } else {
      const name = ident();
      let as = name;
      if (kw("AS")) {
        i++;
        as = ident();
      }
      columns.push({ name, as });
    }
  } while (op(","));
  eat("FROM");
  const stream = ident();
  let where = null;
  if (kw("WHERE")) {
    i++;
    where = orExpr();
  }
  let orderBy = null;
  if (kw("ORDER")) {
    i++;
    eat("BY");
    orderBy = { field: ident(), desc: false };
    if (kw("DESC")) {
      orderBy.desc = true;
      i++;
    } else if (kw("ASC")) i++;
  }
  let limit = null;
  let offset = 0;
  if (kw("LIMIT")) {
    i++;
    limit = toks[i++]?.v;
  }
  if (kw("OFFSET")) {
    i++;
    offset = toks[i++]?.v;
  }
  if (i < toks.length) throw new UnsupportedSql(`unexpected ${toks[i].v}`);
  if (columns.some((c) => c.count) && columns.some((c) => !c.count)) {
    throw new UnsupportedSql("count() mixed with columns needs GROUP BY, which the double does not support");
  }
  return { columns, stream, where, orderBy, limit, offset };

  function orExpr() {
    let left = andExpr();
    while (kw("OR")) {
      i++;
      left = { or: [left, andExpr()] };
    }
    return left;
  }
  function andExpr() {
    let left = cond();
    while (kw("AND")) {
      i++;
      left = { and: [left, cond()] };
    }
    return left;
  }
  function cond() {
    if (op("(")) {
      i++;
      const e = orExpr();
      if (!op(")")) throw new UnsupportedSql("expected )");
      i++;
      return e;
    }
    const field = ident();
    if (kw("IS")) {
      i++;
      const not = kw("NOT");
      if (not) i++;
      eat("NULL");
      return { field, isNull: !not };
    }
    const not = kw("NOT");
    if (not) i++;
    if (kw("LIKE")) {
      i++;
      const pat = toks[i++];
      if (pat?.t !== "str") throw new UnsupportedSql("LIKE needs a 'pattern'");
      return { field, like: likeRegex(pat.v), not };
    }
    const t = toks[i++];
    if (t?.t !== "op" || !["=", "!=", "<>", "<", "<=", ">", ">="].includes(t.v)) {
      throw new UnsupportedSql(`unsupported condition on ${field}`);
    }
    const lit = toks[i++];
    if (lit?.t !== "str" && lit?.t !== "num") throw new UnsupportedSql("expected a 'string' or a number");
    return { field, cmp: t.v === "<>" ? "!=" : t.v, value: lit.v };
  }
}

function likeRegex(pattern) {
  const esc = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    .replaceAll("%", ".*")
    .replaceAll("_", ".");
  return new RegExp(`^${esc}$`, "s");
}

function matches(rec, e) {
  if (!e) return true;
  if (e.or) return matches(rec, e.or[0]) || matches(rec, e.or[1]);
  if (e.and) return matches(rec, e.and[0]) && matches(rec, e.and[1]);
  const v = rec[e.field];
  if ("isNull" in e) return (v === undefined || v === null) === e.isNull;
  if (v === undefined || v === null) return false; // SQL: NULL compares to nothing
  if (e.like) return e.like.test(String(v)) !== e.not;
  const a = typeof e.value === "number" ? Number(v) : String(v);
  const b = e.value;
  switch (e.cmp) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    default:
      return a >= b;
  }
}

/** Runs a parsed query over `records`; returns the hits. */
export function runQuery(q, records, { startTime, endTime, from, size }) {
  const end = endTime > 0 ? endTime : Number.MAX_SAFE_INTEGER;
  let rows = records.filter((r) => r._timestamp >= startTime && r._timestamp < end && matches(r, q.where));
  if (q.columns.some((c) => c.count)) {
    const hit = {};
    for (const c of q.columns)
      hit[c.as] = c.field ? rows.filter((r) => r[c.field] != null).length : rows.length;
    return [hit];
  }
  const order = q.orderBy ?? { field: "_timestamp", desc: true };
  rows = rows
    .map((r, n) => [r, n])
    .sort(([a, na], [b, nb]) => {
      const x = a[order.field];
      const y = b[order.field];
      const c = x === y ? na - nb : x === undefined ? 1 : y === undefined ? -1 : x < y ? -1 : 1;
      return order.desc && x !== y ? -c : c;
    })
    .map(([r]) => r);
  const limit = q.limit ?? size;
  rows = rows.slice(from + q.offset, from + q.offset + Math.min(limit, size > 0 ? size : limit));
  if (q.columns.some((c) => c.star)) return rows;
  return rows.map((r) => Object.fromEntries(q.columns.map((c) => [c.as, r[c.name]])));
}
