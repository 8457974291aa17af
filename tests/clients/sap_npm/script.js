// SAP Cloud SDK for JavaScript (OData V2) against the erpsim SAP facade, through typed clients the
// SDK's generator made from the facade's own $metadata (SAP_GEN holds one directory per service).
// Usage: SAP_URL=http://host:port SAP_KEY=... SAP_GEN=... SAP_PAGE=20 node script.js read|write
// Prints one JSON object on stdout; `write` exits 3 (printing {"unsupported": ...}) while the
// server answers 405 to a sales order create.
"use strict";
const path = require("path");
const { BigNumber } = require("bignumber.js");
const { asc, filterFunctions } = require("@sap-cloud-sdk/odata-v2");

const gen = process.env.SAP_GEN;
const { apiProductSrv } = require(path.join(gen, "API_PRODUCT_SRV"));
const { apiSalesOrderSrv } = require(path.join(gen, "API_SALES_ORDER_SRV"));

const destination = {
  url: process.env.SAP_URL,
  username: "CONNECTOR",
  password: process.env.SAP_KEY,
  sapClient: "100",
};
const UNSUPPORTED = 3;

async function read() {
  const { productApi, productDescriptionApi } = apiProductSrv();
  const P = productApi.schema;
  const all = () => productApi.requestBuilder().getAll();
  const window = await all().select(P.PRODUCT).orderBy(asc(P.PRODUCT)).top(5).skip(3).execute(destination);
  const page = Number(process.env.SAP_PAGE || 20);
  const paged = [];
  for (let skip = 0; ; skip += page) {
    const rows = await all().select(P.PRODUCT).orderBy(asc(P.PRODUCT)).top(page).skip(skip).execute(destination);
    paged.push(...rows.map((row) => row.product));
    if (rows.length < page) break;
  }
  const total = await all().count().execute(destination);
  const first = paged[0];
  const filtered = await all().filter(P.PRODUCT.equals(first)).execute(destination);
  const prefix = first.slice(0, first.length - 1);
  const startsWith = await all()
    .select(P.PRODUCT)
    .filter(filterFunctions().startsWith(P.PRODUCT, prefix).equals(true))
    .execute(destination);
  // A link in select() is $expand (and $select=to_Description/*) in the V2 SDK.
  const expanded = await productApi
    .requestBuilder()
    .getByKey(first)
    .select(P.PRODUCT, P.GROSS_WEIGHT, P.CREATION_DATE, P.TO_DESCRIPTION)
    .execute(destination);
  const last = paged[paged.length - 1];
  const description = await productDescriptionApi.requestBuilder().getByKey(last, "EN").execute(destination);
  // The SDK does not follow V2's __next by itself: read it from the raw response.
  const raw = await all().select(P.PRODUCT).executeRaw(destination);
  return {
    window: window.map((row) => row.product),
    paged,
    total,
    filtered: filtered.map((row) => ({
      product: row.product,
      grossWeight: row.grossWeight.toFixed(),
      weightUnit: row.weightUnit,
      creationDate: row.creationDate ? row.creationDate.toISOString() : null,
      lastChangeDateTime: row.lastChangeDateTime ? row.lastChangeDateTime.toISOString() : null,
    })),
    prefix,
    startsWith: startsWith.map((row) => row.product),
    expanded: {
      product: expanded.product,
      grossWeight: expanded.grossWeight.toFixed(),
      descriptions: expanded.toDescription.map((d) => [d.language, d.productDescription]),
    },
    description: [description.product, description.language, description.productDescription],
    next: raw.data.d.__next || null,
    firstPage: raw.data.d.results.map((row) => row.Product),
  };
}

async function write() {
  const { salesOrderApi, salesOrderItemApi } = apiSalesOrderSrv();
  const reference = process.env.SAP_REFERENCE;
  const items = [2, 1].map((quantity) =>
    salesOrderItemApi
      .entityBuilder()
      .material(process.env.SAP_MATERIAL)
      .requestedQuantity(new BigNumber(quantity))
      .build()
  );
  const order = salesOrderApi
    .entityBuilder()
    .salesOrderType("OR")
    .salesOrganization("1010")
    .distributionChannel("10")
    .organizationDivision("00")
    .soldToParty(process.env.SAP_CUSTOMER)
    .purchaseOrderByCustomer(reference)
    .toItem(items)
    .build();
  let created;
  try {
    // create() fetches the CSRF token itself (HEAD, x-csrf-token: Fetch) before the POST.
    created = await salesOrderApi.requestBuilder().create(order).execute(destination);
  } catch (error) {
    const status = findStatus(error);
    if (status === 405) {
      process.stdout.write(JSON.stringify({ unsupported: `POST A_SalesOrder answered ${status}` }));
      process.exit(UNSUPPORTED);
    }
    throw error;
  }
  const read = await salesOrderApi
    .requestBuilder()
    .getByKey(created.salesOrder)
    .select(salesOrderApi.schema.SALES_ORDER, salesOrderApi.schema.PURCHASE_ORDER_BY_CUSTOMER, salesOrderApi.schema.TO_ITEM)
    .execute(destination);
  // A change: the SDK PATCHes what changed, under If-Match with the ETag of the read.
  const changed = `${reference}-B`.slice(0, 35);
  const header = await salesOrderApi.requestBuilder().getByKey(created.salesOrder).execute(destination);
  header.purchaseOrderByCustomer = changed;
  await salesOrderApi.requestBuilder().update(header).execute(destination);
  const after = await salesOrderApi.requestBuilder().getByKey(created.salesOrder).execute(destination);
  // A $batch: one read and a changeset that creates a second order.
  const { batch, changeset } = apiSalesOrderSrv();
  const second = salesOrderApi
    .entityBuilder()
    .salesOrderType("OR")
    .salesOrganization("1010")
    .distributionChannel("10")
    .organizationDivision("00")
    .soldToParty(process.env.SAP_CUSTOMER)
    .purchaseOrderByCustomer(`${reference}-C`.slice(0, 35))
    .toItem([salesOrderItemApi.entityBuilder().material(process.env.SAP_MATERIAL).requestedQuantity(new BigNumber(5)).build()])
    .build();
  const [listed, written] = await batch(
    salesOrderApi.requestBuilder().getByKey(created.salesOrder),
    changeset(salesOrderApi.requestBuilder().create(second))
  ).execute(destination);
  const batchRead = listed.isSuccess() ? listed.as(salesOrderApi) : [];
  const batchCreated = written.isWriteResponses() ? written.responses.map((r) => r.as(salesOrderApi)) : [];
  return {
    changed: after.purchaseOrderByCustomer,
    batch: {
      read: batchRead.map((o) => o.purchaseOrderByCustomer),
      created: batchCreated.map((o) => [o.salesOrder, o.purchaseOrderByCustomer]),
    },
    created: {
      salesOrder: created.salesOrder,
      soldToParty: created.soldToParty,
      purchaseOrderByCustomer: created.purchaseOrderByCustomer,
    },
    read: {
      salesOrder: read.salesOrder,
      purchaseOrderByCustomer: read.purchaseOrderByCustomer,
      items: read.toItem.map((item) => [item.salesOrderItem, item.material, item.requestedQuantity.toFixed()]),
    },
  };
}

function findStatus(error) {
  for (let e = error; e; e = e.cause) {
    if (e.response && e.response.status) return e.response.status;
  }
  return null;
}

const steps = { read, write };
steps[process.argv[2]]()
  .then((result) => process.stdout.write(JSON.stringify(result)))
  .catch((error) => {
    for (let e = error; e; e = e.cause) {
      process.stderr.write(`${e.stack || e}\n`);
      if (e.response) process.stderr.write(`${e.response.status} ${JSON.stringify(e.response.data)}\n`);
    }
    process.exit(1);
  });
