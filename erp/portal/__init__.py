"""The customer order-tracking portal (/track/): composed in the project
package, so it may read every app. Customers reach one order by its secret
link or by order number plus a check; nothing here ever shows another
customer's data, staff-only events, internal notes or costs."""
