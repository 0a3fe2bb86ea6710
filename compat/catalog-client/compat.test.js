// Drives a running Portico through every method of @backstage/catalog-client
// (REFERENCE.md §2.5) and asserts the results. The server must have
// Backstage's example catalog (all.yaml, acme-corp.yaml) loaded.
//
//   PORTICO_URL=http://127.0.0.1:7007 node compat.test.js
//
// It prints one line per check and "N passed, M failed"; the exit code is 1
// when anything failed.
'use strict';

const assert = require('node:assert/strict');
const http = require('node:http');
const { CatalogClient, CATALOG_FILTER_EXISTS } = require('@backstage/catalog-client');

const base = process.env.PORTICO_URL;
if (!base) {
  console.error('PORTICO_URL is not set');
  process.exit(2);
}
const catalog = new CatalogClient({
  discoveryApi: { getBaseUrl: async () => `${base.replace(/\/$/, '')}/api/catalog` },
  fetchApi: { fetch: (...args) => fetch(...args) },
});

// A small catalog served by this script, for the location methods.
const compatYaml = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: compat-service
  description: Registered by the catalog-client compatibility test
spec:
  type: service
  lifecycle: experimental
  owner: group:default/team-a
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: compat-api
spec:
  type: openapi
  lifecycle: experimental
  owner: group:default/team-a
  definition: "openapi: 3.0.0"
`;
const movedYaml = compatYaml.replace(/compat-/g, 'moved-');
const otherYaml = compatYaml.replace(/compat-/g, 'other-');

function serveFiles() {
  const files = { '/compat/catalog-info.yaml': compatYaml, '/moved/catalog-info.yaml': movedYaml,
    '/other/catalog-info.yaml': otherYaml };
  const server = http.createServer((req, res) => {
    const body = files[req.url];
    if (body === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/yaml' });
    res.end(body);
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push([name, null]);
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push([name, e]);
    console.log(`FAIL ${name}\n     ${(e && e.stack) || e}`);
  }
}

async function rejects(promise, status, name) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.name, 'ResponseError', `expected a ResponseError, got ${e}`);
    assert.equal(e.response.status, status);
    assert.equal(e.body.error.name, name);
    assert.equal(e.body.response.statusCode, status);
    assert.equal(typeof e.body.error.message, 'string');
    return e;
  }
  assert.fail(`expected a ${status} ${name}`);
}

const refOf = e => `${e.kind}:${e.metadata.namespace ?? 'default'}/${e.metadata.name}`.toLowerCase();
const names = items => items.map(e => e.metadata.name);
const sortedCopy = a => [...a].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));

async function main() {
  const files = await serveFiles();
  const filesUrl = `http://127.0.0.1:${files.address().port}`;
  const target = `${filesUrl}/compat/catalog-info.yaml`;
  const movedTarget = `${filesUrl}/moved/catalog-info.yaml`;
  let all = [];

  // --- entities -------------------------------------------------------------
  await check('getEntities: every entity', async () => {
    ({ items: all } = await catalog.getEntities());
    assert.ok(all.length >= 56, `only ${all.length} entities`);
    for (const e of all) {
      assert.ok(e.metadata.uid, 'uid set');
      assert.ok(e.metadata.etag, 'etag set');
      assert.ok(Array.isArray(e.relations ?? []), 'relations is an array');
    }
  });

  await check('getEntities: filter, CATALOG_FILTER_EXISTS, OR of filter sets', async () => {
    const { items } = await catalog.getEntities({ filter: { kind: 'component' } });
    assert.equal(items.length, 13);
    assert.ok(items.every(e => e.kind === 'Component'));
    const { items: svc } = await catalog.getEntities({ filter: { kind: 'Component', 'spec.type': ['service', 'website'] } });
    assert.ok(svc.length > 0 && svc.every(e => ['service', 'website'].includes(e.spec.type)));
    const { items: either } = await catalog.getEntities({ filter: [{ kind: 'domain' }, { kind: 'system' }] });
    assert.equal(either.length, 6);
    const { items: owned } = await catalog.getEntities({ filter: { kind: 'component', 'spec.owner': CATALOG_FILTER_EXISTS } });
    assert.equal(owned.length, 13);
  });

  await check('getEntities: fields projection', async () => {
    const { items } = await catalog.getEntities({ filter: { kind: 'component' }, fields: ['kind', 'metadata.name'] });
    assert.equal(items.length, 13);
    for (const e of items) {
      assert.deepEqual(Object.keys(e).sort(), ['kind', 'metadata']);
      assert.deepEqual(Object.keys(e.metadata), ['name']);
    }
    const { items: ann } = await catalog.getEntities({
      filter: { kind: 'component' },
      fields: ['metadata.annotations.backstage.io/managed-by-location'],
    });
    assert.ok(ann.every(e => typeof e.metadata.annotations['backstage.io/managed-by-location'] === 'string'));
  });

  await check('getEntities: order, limit, offset', async () => {
    const order = { field: 'metadata.name', order: 'asc' };
    const { items: sorted } = await catalog.getEntities({ filter: { kind: 'component' }, order });
    assert.deepEqual(names(sorted), sortedCopy(names(sorted)));
    const { items: desc } = await catalog.getEntities({ filter: { kind: 'component' }, order: { field: 'metadata.name', order: 'desc' } });
    assert.deepEqual(names(desc), names(sorted).reverse());
    const { items: page } = await catalog.getEntities({ filter: { kind: 'component' }, order, limit: 4, offset: 4 });
    assert.deepEqual(names(page), names(sorted).slice(4, 8));
  });

  await check('getEntitiesByRefs: order kept, null for missing, fields', async () => {
    const refs = ['component:default/artist-lookup', 'component:default/does-not-exist', 'API:default/streetlights'];
    const { items } = await catalog.getEntitiesByRefs({ entityRefs: refs });
    assert.equal(items.length, 3);
    assert.equal(items[0].metadata.name, 'artist-lookup');
    assert.equal(items[1], undefined);
    assert.equal(items[2].metadata.name, 'streetlights');
    const { items: slim } = await catalog.getEntitiesByRefs({ entityRefs: refs, fields: ['metadata.name'], filter: { kind: 'api' } });
    assert.deepEqual(slim, [undefined, undefined, { metadata: { name: 'streetlights' } }]);
    const { items: q } = await catalog.getEntitiesByRefs({ entityRefs: refs, query: { kind: 'component' } });
    assert.equal(q[0].metadata.name, 'artist-lookup');
    assert.equal(q[2], undefined);
  });

  await check('queryEntities (GET): totalItems, orderFields, cursors both ways', async () => {
    const first = await catalog.queryEntities({
      filter: { kind: 'component' }, limit: 5, orderFields: { field: 'metadata.name', order: 'asc' },
    });
    assert.equal(first.totalItems, 13);
    assert.equal(first.items.length, 5);
    assert.deepEqual(names(first.items), sortedCopy(names(first.items)));
    assert.ok(first.pageInfo.nextCursor);
    assert.equal(first.pageInfo.prevCursor, undefined);
    const second = await catalog.queryEntities({ cursor: first.pageInfo.nextCursor, limit: 5 });
    assert.equal(second.items.length, 5);
    assert.ok(names(second.items)[0] > names(first.items)[4]);
    assert.ok(second.pageInfo.prevCursor);
    const third = await catalog.queryEntities({ cursor: second.pageInfo.nextCursor, limit: 5 });
    assert.equal(third.items.length, 3);
    assert.equal(third.pageInfo.nextCursor, undefined);
    const back = await catalog.queryEntities({ cursor: second.pageInfo.prevCursor, limit: 5 });
    assert.deepEqual(names(back.items), names(first.items));
    const seen = [...names(first.items), ...names(second.items), ...names(third.items)];
    assert.equal(new Set(seen).size, 13);
  });

  await check('queryEntities: fullTextFilter, totalItems exclude, fields', async () => {
    const res = await catalog.queryEntities({
      filter: { kind: 'component' }, fullTextFilter: { term: 'ARTIST', fields: ['metadata.name'] }, fields: ['metadata.name'],
    });
    assert.ok(res.items.length >= 2);
    assert.ok(res.items.every(e => e.metadata.name.includes('artist')));
    assert.equal(res.totalItems, res.items.length);
    const ex = await catalog.queryEntities({ filter: { kind: 'group' }, totalItems: 'exclude' });
    assert.ok(ex.items.length > 0);
  });

  await check('queryEntities (POST): predicate query and its cursor', async () => {
    const first = await catalog.queryEntities({
      query: { $any: [{ kind: 'system' }, { kind: 'domain' }] }, limit: 4, orderFields: { field: 'metadata.name', order: 'desc' },
    });
    assert.equal(first.totalItems, 6);
    assert.equal(first.items.length, 4);
    assert.ok(first.items.every(e => ['System', 'Domain'].includes(e.kind)));
    const cur = JSON.parse(Buffer.from(first.pageInfo.nextCursor, 'base64').toString());
    assert.ok('query' in cur, 'a predicate cursor carries the query');
    const next = await catalog.queryEntities({ cursor: first.pageInfo.nextCursor, limit: 4 });
    assert.equal(next.items.length, 2);
    const got = [...names(first.items), ...names(next.items)];
    assert.deepEqual(got, sortedCopy(got).reverse());
    const rel = await catalog.queryEntities({
      query: { kind: 'component', relations: { $contains: { type: 'ownedBy' } } },
    });
    assert.ok(rel.items.length > 0);
  });

  await check('streamEntities: every entity once', async () => {
    const seen = [];
    for await (const page of catalog.streamEntities({ pageSize: 7 })) {
      assert.ok(page.length <= 7);
      seen.push(...page.map(refOf));
    }
    assert.equal(seen.length, all.length);
    assert.equal(new Set(seen).size, all.length);
  });

  await check('getEntityByRef / getEntityByName: case-insensitive, 404 → undefined', async () => {
    const e = await catalog.getEntityByRef('Component:Default/Artist-Lookup');
    assert.equal(e.metadata.name, 'artist-lookup');
    assert.equal(await catalog.getEntityByRef('component:default/nope'), undefined);
    const byName = await catalog.getEntityByName({ kind: 'group', namespace: 'default', name: 'team-a' });
    assert.equal(byName.kind, 'Group');
    const guest = await catalog.getEntityByRef('user:development/guest');
    assert.equal(guest.metadata.namespace, 'development');
  });

  await check('getEntityAncestors: up to the root location', async () => {
    const res = await catalog.getEntityAncestors({ entityRef: 'component:default/artist-lookup' });
    assert.equal(res.rootEntityRef, 'component:default/artist-lookup');
    assert.ok(res.items.length >= 2);
    const root = res.items.find(i => refOf(i.entity) === 'component:default/artist-lookup');
    assert.ok(root && root.parentEntityRefs.length === 1);
    assert.ok(res.items.some(i => i.entity.kind === 'Location'));
    await rejects(catalog.getEntityAncestors({ entityRef: 'component:default/nope' }), 404, 'NotFoundError');
  });

  await check('getEntityFacets: GET and POST, keyed as given', async () => {
    const { facets } = await catalog.getEntityFacets({ facets: ['kind', 'Spec.Type'] });
    const kinds = Object.fromEntries(facets.kind.map(f => [f.value, f.count]));
    assert.equal(kinds.Component, 13);
    assert.equal(kinds.System, 3);
    assert.ok(Array.isArray(facets['Spec.Type']));
    const filtered = await catalog.getEntityFacets({ facets: ['spec.lifecycle'], filter: { kind: 'component' } });
    const total = filtered.facets['spec.lifecycle'].reduce((n, f) => n + f.count, 0);
    assert.equal(total, 13);
    const byQuery = await catalog.getEntityFacets({ facets: ['kind'], query: { kind: { $in: ['domain', 'system'] } } });
    assert.deepEqual(byQuery.facets.kind.map(f => f.value).sort(), ['Domain', 'System']);
    await rejects(catalog.getEntityFacets({ facets: [] }), 400, 'InputError');
  });

  await check('refreshEntity: 200, unknown ref 404', async () => {
    await catalog.refreshEntity('component:default/artist-lookup');
    await rejects(catalog.refreshEntity('component:default/nope'), 404, 'NotFoundError');
  });

  // --- locations ------------------------------------------------------------
  let loc;
  await check('addLocation: dryRun returns entities and persists nothing', async () => {
    const res = await catalog.addLocation({ target, dryRun: true });
    assert.equal(res.location.type, 'url');
    assert.equal(res.location.target, target);
    assert.equal(res.exists, false);
    const got = res.entities.map(refOf);
    assert.ok(got.includes('component:default/compat-service'));
    assert.ok(got.includes('api:default/compat-api'));
    assert.equal(await catalog.getEntityByRef('component:default/compat-service'), undefined);
  });

  await check('addLocation: 201, entities ingested, conflict 409, onConflict refresh', async () => {
    const res = await catalog.addLocation({ target });
    loc = res.location;
    assert.ok(loc.id);
    assert.match(loc.entityRef, /^location:default\/generated-[0-9a-f]{40}$/);
    assert.deepEqual(res.entities, []);
    const e = await catalog.getEntityByRef('component:default/compat-service');
    assert.ok(e, 'entity ingested');
    assert.ok(e.relations.some(r => r.type === 'ownedBy' && r.targetRef === 'group:default/team-a'));
    await rejects(catalog.addLocation({ target }), 409, 'ConflictError');
    const again = await catalog.addLocation({ target, onConflict: 'refresh' });
    assert.equal(again.exists, true);
    assert.equal(again.location.id, loc.id);
    const dry = await catalog.addLocation({ target, dryRun: true });
    assert.equal(dry.exists, true);
    await rejects(catalog.addLocation({ type: 'file', target: '/etc/passwd' }), 400, 'InputError');
  });

  await check('getLocations / getLocationById / getLocationByRef / getLocationByEntity', async () => {
    const { items } = await catalog.getLocations();
    assert.ok(items.length >= 3);
    assert.ok(items.every(l => l.id && l.type && l.target));
    assert.ok(items.some(l => l.id === loc.id));
    assert.deepEqual(await catalog.getLocationById(loc.id), loc);
    assert.equal(await catalog.getLocationById('00000000-0000-4000-8000-000000000000'), undefined);
    assert.deepEqual(await catalog.getLocationByRef(`url:${target}`), loc);
    const byEntity = await catalog.getLocationByEntity('component:default/compat-service');
    assert.equal(byEntity.target, target);
    assert.equal(await catalog.getLocationByEntity('component:default/nope'), undefined);
  });

  await check('queryLocations / streamLocations', async () => {
    const { items: everything } = await catalog.getLocations();
    const page = await catalog.queryLocations({ limit: 1 });
    assert.equal(page.items.length, 1);
    assert.equal(page.totalItems, everything.length);
    assert.ok(page.pageInfo.nextCursor);
    const streamed = [];
    for await (const items of catalog.streamLocations({ limit: 2 })) streamed.push(...items);
    assert.deepEqual(streamed.map(l => l.id).sort(), everything.map(l => l.id).sort());
    const q = await catalog.queryLocations({ query: { target } });
    assert.deepEqual(q.items, [loc]);
    assert.equal(q.totalItems, 1);
  });

  await check('updateLocation: new target, 409 on a taken one', async () => {
    const updated = await catalog.updateLocation(loc.id, { type: 'url', target: movedTarget });
    assert.equal(updated.id, loc.id);
    assert.equal(updated.target, movedTarget);
    assert.ok(await catalog.getEntityByRef('component:default/moved-service'));
    const other = await catalog.addLocation({ target: `${filesUrl}/other/catalog-info.yaml` });
    await rejects(catalog.updateLocation(loc.id, { type: 'url', target: other.location.target }), 409, 'ConflictError');
    await catalog.removeLocationById(other.location.id);
    loc = updated;
  });

  await check('removeEntityByUid', async () => {
    const e = await catalog.getEntityByRef('api:default/moved-api');
    await catalog.removeEntityByUid(e.metadata.uid);
    assert.equal(await catalog.getEntityByRef('api:default/moved-api'), undefined);
  });

  await check('removeLocationById', async () => {
    await catalog.removeLocationById(loc.id);
    assert.equal(await catalog.getLocationById(loc.id), undefined);
    await rejects(catalog.removeLocationById(loc.id), 404, 'NotFoundError');
  });

  // --- validation and analysis ----------------------------------------------
  await check('validateEntity: valid and invalid', async () => {
    const ok = await catalog.validateEntity(
      { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'fine' },
        spec: { type: 'service', lifecycle: 'production', owner: 'team-a' } },
      'url:https://example.com/catalog-info.yaml');
    assert.deepEqual(ok, { valid: true });
    const bad = await catalog.validateEntity(
      { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'not a valid name!' }, spec: {} },
      'url:https://example.com/catalog-info.yaml');
    assert.equal(bad.valid, false);
    assert.ok(bad.errors.length > 0);
    assert.ok(bad.errors.every(e => typeof e.name === 'string' && typeof e.message === 'string'));
    const badLoc = await catalog.validateEntity({ apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'x' } }, 'not-a-location');
    assert.equal(badLoc.valid, false);
  });

  await check('analyzeLocation: existing files and generated entities', async () => {
    const found = await catalog.analyzeLocation({ location: { type: 'url', target: `${filesUrl}/compat` } });
    assert.deepEqual(found.generateEntities, []);
    assert.ok(found.existingEntityFiles.some(f => f.entity.metadata.name === 'compat-service' && f.isRegistered === false));
    assert.equal(found.existingEntityFiles[0].location.target, target);
    const none = await catalog.analyzeLocation({ location: { type: 'url', target: `${filesUrl}/empty-repo` } });
    assert.deepEqual(none.existingEntityFiles, []);
    assert.equal(none.generateEntities[0].entity.metadata.name, 'empty-repo');
    assert.ok(none.generateEntities[0].fields.some(f => f.field === 'spec.owner' && f.state === 'needsUserInput'));
    await rejects(catalog.analyzeLocation({ location: { type: 'url', target: 'not a url' } }), 400, 'InputError');
  });

  files.close();
  const failed = results.filter(([, e]) => e);
  console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
  process.exitCode = failed.length ? 1 : 0;
}

main().catch(e => {
  console.error(e);
  process.exitCode = 1;
});
