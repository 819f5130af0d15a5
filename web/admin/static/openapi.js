// The back office as /api/openapi.json describes it: each /api/admin/<resource> with its list, create, item
// operations (get, patch, put, delete), row actions (POST /<id>/<verb>), row views (GET /<id>/<what>) and whatever
// else it offers; plus the IB's own views (/api/ib/...). A resource the API gains appears here without panel code.

export const ADMIN = '/api/admin/';
export const IB = '/api/ib/';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const isParam = (part) => /^\{.+\}$/.test(part);

let documentCache = null;

/** A schema with its $ref followed and allOf merged (enough for the shapes our API writes). */
export function resolve(schema) {
  let seen = 0;
  while (schema?.$ref && seen++ < 20) {
    schema = schema.$ref.replace(/^#\//, '').split('/').reduce((node, key) => node?.[key], documentCache);
  }
  if (schema?.allOf) {
    const merged = { type: 'object', properties: {}, required: [] };
    for (const part of schema.allOf.map(resolve)) {
      Object.assign(merged.properties, part?.properties || {});
      merged.required.push(...(part?.required || []));
    }
    return merged;
  }
  return schema || {};
}

/** The schema's type without "null" (["string", "null"] is a nullable string) and whether null is allowed. */
export function typeOf(schema) {
  const s = resolve(schema);
  const variants = s.anyOf || s.oneOf;
  if (variants) {
    const real = variants.map(resolve).filter((v) => v.type !== 'null');
    return { ...typeOf(real[0] || {}), nullable: real.length < variants.length };
  }
  const types = Array.isArray(s.type) ? s.type : [s.type];
  const real = types.filter((type) => type && type !== 'null');
  return { type: real[0] || (s.properties ? 'object' : s.enum ? 'string' : undefined), nullable: types.includes('null'),
    schema: s };
}

function jsonSchema(holder) {
  return holder?.content?.['application/json']?.schema || null;
}

function operation(path, method, op, shared) {
  const parameters = [...(shared || []), ...(op.parameters || [])].map((p) => resolve(p));
  const success = Object.entries(op.responses || {}).find(([status]) => /^2/.test(status));
  return {
    method: method.toUpperCase(), path, summary: op.summary || '', parameters,
    body: op.requestBody ? jsonSchema(resolve(op.requestBody)) : null,
    answer: success ? jsonSchema(resolve(success[1])) : null,
    statuses: Object.keys(op.responses || {}),
  };
}

/** {resources: Map(name -> resource), views: [operation]} from the OpenAPI document. */
export function backOffice(doc) {
  documentCache = doc;
  const resources = new Map();
  const views = [];
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      if (!item[method]) continue;
      const op = operation(path, method, item[method], item.parameters);
      if (path.startsWith(IB)) {
        if (op.method === 'GET') views.push({ name: path.slice(IB.length), ...op });
        continue;
      }
      if (!path.startsWith(ADMIN)) continue;
      const [name, ...rest] = path.slice(ADMIN.length).split('/');
      if (!resources.has(name)) {
        resources.set(name, { name, list: null, create: null, replace: null, upsert: null, remove: null, item: {},
          idParams: [], actions: [],
          rowViews: [], extras: [] });
      }
      const resource = resources.get(name);
      if (rest.length === 0) {
        // a PUT of the collection either replaces the whole table (its body is the list) or puts one row
        const slot = { GET: 'list', POST: 'create', PUT: wholeTable(op.body) ? 'replace' : 'upsert', DELETE: 'remove' }[op.method];
        if (slot) resource[slot] = op; else resource.extras.push(op);
      } else if (rest.every(isParam)) {
        resource.item[op.method] = op;
        resource.idParams = rest.map((part) => part.slice(1, -1));
      } else if (rest.length >= 2 && rest.slice(0, -1).every(isParam) && !isParam(rest.at(-1))) {
        const entry = { verb: rest.at(-1), idParams: rest.slice(0, -1).map((part) => part.slice(1, -1)), ...op };
        (op.method === 'GET' ? resource.rowViews : resource.actions).push(entry);
      } else {
        resource.extras.push(op);
      }
    }
  }
  return { resources, views };
}

/** Whether a body is a whole table: a list, or a record whose one list is its rows. */
function wholeTable(body) {
  if (!body) return false;
  const s = resolve(body);
  if (typeOf(s).type === 'array') return true;
  return Object.values(s.properties || {}).filter((p) => typeOf(p).type === 'array' && typeOf(resolve(p).items).type === 'object').length === 1;
}

/** ``path`` with its {name} parameters filled from ``values`` (each encoded). */
export function fillPath(path, values) {
  return path.replace(/\{([^}]+)\}/g, (whole, name) => encodeURIComponent(String(values[name] ?? '')));
}

/** The list of rows in an answer: the answer itself when it is an array, else its one array-valued property. */
export function rowsOf(answer) {
  if (Array.isArray(answer)) return answer;
  if (answer && typeof answer === 'object') {
    const arrays = Object.values(answer).filter(Array.isArray);
    if (arrays.length === 1) return arrays[0];
  }
  return null;
}

/** The item schema of a list operation's answer (array items, or the items of its one array property). */
export function rowSchema(op) {
  const answer = resolve(op?.answer);
  if (typeOf(answer).type === 'array') return resolve(answer.items);
  const arrays = Object.values(answer.properties || {}).map(resolve).filter((s) => typeOf(s).type === 'array');
  return arrays.length === 1 ? resolve(arrays[0].items) : {};
}
