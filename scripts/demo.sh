#!/usr/bin/env bash
# The main job: import the bundled UCI Online Retail data (541,909 real
# transactions of a UK online retailer, data/uci-online-retail/) with the ckm
# tool, then show a real customer's 360-degree profile, their products and the
# store's most valuable customers. Run it again: the import records nothing
# twice. The data writes dates month first (12/1/2010 is 1 December), which
# --date-order mdy says. Usage: bash scripts/demo.sh [STORE_DIR] [CUSTOMER]
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-/tmp/ckm-retail}
customer=${2:-12347}
ckm=build/tools/ckm

"$ckm" import purchases data/uci-online-retail/online_retail.csv.gz --db "$db" \
  --map customer=CustomerID,order=InvoiceNo,sku=StockCode,description=Description,quantity=Quantity,unit_price=UnitPrice,ts=InvoiceDate \
  --currency GBP --date-order mdy
echo
"$ckm" get "$customer" --db "$db"
echo
echo "products of $customer (first 10):"
"$ckm" products "$customer" --db "$db" | sed -n 1,11p
echo
echo "top 5 customers by net spend:"
"$ckm" top --by net_spend --limit 5 --db "$db"
