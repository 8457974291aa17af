// @odata/client against the erpsim mock ERP. Usage: ERP_URL=... ERP_KEY=... node script.js read|write
// Prints one JSON object on stdout; exits 3 (and prints {"unsupported": ...}) when the server
// answers 404/405 to a write it does not implement yet.
"use strict";
const { OData } = require("@odata/client");
const { defaultProxy } = require("@odata/client/lib/request");

// The client's errors carry only the message: keep the last response to know its status.
let last = null;
async function fetchProxy(url, init) {
  const result = await defaultProxy(url, init);
  last = { method: init.method || "GET", url, status: result.response.status, body: result.content };
  return result;
}
const serviceEndpoint = process.env.ERP_URL;
const commonHeaders = { "api-key": process.env.ERP_KEY };
const client = OData.New4({ serviceEndpoint, commonHeaders, fetchProxy });

async function read() {
  const items = client.getEntitySet("items");
  const filter = items.newFilter().property("unitPrice").gt(10);
  const cheapest = await items.query(items.newOptions().filter(filter).top(5).orderby("unitPrice", "asc"));
  const total = await items.count(filter);
  const numbers = [];
  const page = Number(process.env.ERP_PAGE || 20);
  for (let skip = 0; ; skip += page) {
    const rows = await items.query(
      items.newOptions().filter(filter).orderby("number", "asc").top(page).skip(skip).select("number")
    );
    numbers.push(...rows.map((row) => row.number));
    if (rows.length < page) break;
  }
  const orders = client.getEntitySet("salesOrders");
  const [first] = await orders.query(orders.newOptions().top(1).orderby("number", "asc"));
  const order = await orders.retrieve(first.id, orders.newOptions().expand("salesOrderLines"));
  return {
    top: cheapest.map((row) => row.unitPrice),
    total,
    paged: numbers,
    order: { id: order.id, number: order.number, lines: order.salesOrderLines.map((l) => l.sequence) },
  };
}

class Unsupported extends Error {}

// Not there yet: no such route (404/405), or BC's line fields refused as unknown.
function isUnsupported({ status, body }) {
  if (status === 404 || status === 405) return true;
  const error = (body && body.error) || {};
  const reason = ((error.details || [])[0] || {}).code || error.code;
  return status === 400 && reason === "unknown_field" && /lineType|lineObjectNumber/.test(error.message);
}

async function guarded(step, call) {
  try {
    return await call();
  } catch (error) {
    if (last && isUnsupported(last)) {
      throw new Unsupported(`${step}: ${last.method} ${last.url} -> ${last.status} ${JSON.stringify(last.body)}`);
    }
    throw error;
  }
}

async function write() {
  const customers = client.getEntitySet("customers");
  const items = client.getEntitySet("items");
  const [customer] = await customers.query(customers.newOptions().top(1).orderby("number", "asc"));
  const [item] = await items.query(items.newOptions().top(1).orderby("number", "asc"));
  const orders = client.getEntitySet("salesOrders");
  const created = await guarded("POST salesOrders", () =>
    orders.create({
      customerNumber: customer.number,
      salesOrderLines: [{ lineType: "Item", lineObjectNumber: item.number, quantity: 2 }],
    })
  );
  const invoiced = await guarded("POST salesOrders(id)/Microsoft.NAV.shipAndInvoice", () =>
    orders.action("Microsoft.NAV.shipAndInvoice", created.id)
  );
  const order = await orders.retrieve(created.id);
  return {
    customerNumber: customer.number,
    itemNumber: item.number,
    created: { id: created.id, number: created.number, customerNumber: created.customerNumber },
    actionStatus: last.status,
    invoiced: invoiced || null,
    after: { status: order.status, lifecycleStatus: order.lifecycleStatus, fullyShipped: order.fullyShipped },
  };
}

const steps = { read, write };
const step = steps[process.argv[2]];
if (!step) {
  console.error("usage: node script.js read|write");
  process.exit(2);
}
step().then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    if (error instanceof Unsupported) {
      console.log(JSON.stringify({ unsupported: error.message }));
      process.exit(3);
    }
    console.error(error && error.stack ? error.stack : error);
    process.exit(1);
  }
);
