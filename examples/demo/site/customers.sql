-- customers.sql - the demo's existing customers, mailed without opt-in
-- under the existing-customer exemption (README "Existing customers").
-- run.sh loads it after leads.sql and the migration
-- tests/fixtures/leads/generic-customer.sql, with times relative to today.
-- Emil is the clean case: he bought a bike, was told at checkout that he
-- may object, and gets the shop's bike and bike-parts news (declared
-- similar in annexa.conf). Planted on purpose, one misuse of each
-- condition: Fiona never bought anything, Gus bought a bike but gets the
-- insurance partner's offers, Hanna was never told she may object, Ivo's
-- last order is two and a half years old.
INSERT INTO lists VALUES (3, 'Shop news', 'single', 1), (4, 'Partner offers', 'single', 1);
INSERT INTO list_categories VALUES (3, 'bikes'), (3, 'bike-parts'), (4, 'insurance');
INSERT INTO leads VALUES
  (5, 'emil@example.org',  datetime('now', '-60 days')),
  (6, 'fiona@example.org', datetime('now', '-50 days')),
  (7, 'gus@example.org',   datetime('now', '-40 days')),
  (8, 'hanna@example.org', datetime('now', '-30 days')),
  (9, 'ivo@example.org',   datetime('now', '-900 days'));
INSERT INTO orders (lead_id, ordered_at, product_category) VALUES
  (5, datetime('now', '-60 days'), 'bikes'),
  (7, datetime('now', '-40 days'), 'bikes'),
  (8, datetime('now', '-30 days'), 'bikes'),
  (9, datetime('now', '-900 days'), 'bikes');
INSERT INTO subscriptions (lead_id, list_id, status, signup_at, legal_basis, objection_notice_at) VALUES
  (5, 3, 'confirmed', datetime('now', '-60 days'),  'existing_customer', datetime('now', '-60 days')),
  (6, 3, 'confirmed', datetime('now', '-50 days'),  'existing_customer', datetime('now', '-50 days')),
  (7, 4, 'confirmed', datetime('now', '-40 days'),  'existing_customer', datetime('now', '-40 days')),
  (8, 3, 'confirmed', datetime('now', '-30 days'),  'existing_customer', NULL),
  (9, 3, 'confirmed', datetime('now', '-900 days'), 'existing_customer', datetime('now', '-900 days'));
