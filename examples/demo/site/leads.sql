-- leads.sql - the demo's lead database (the generic lead schema of the
-- `consent` probe, README "The generic lead schema"). run.sh loads it into
-- state/leads.db (after tests/fixtures/leads/generic-schema.sql) with times
-- relative to today, so the demo ages well.
-- Planted on purpose: one double opt-in subscription without a
-- confirmation IP, one unconfirmed sign-up older than 30 days, one erasure
-- request open for 45 days.
INSERT INTO lists VALUES (1, 'Newsletter', 'double', 1), (2, 'Order updates', 'single', 0);
INSERT INTO leads VALUES
  (1, 'anna@example.org',  datetime('now', '-200 days')),
  (2, 'ben@example.org',   datetime('now', '-120 days')),
  (3, 'chris@example.org', datetime('now', '-40 days')),
  (4, 'dana@example.org',  datetime('now', '-10 days'));
INSERT INTO subscriptions VALUES
  (1, 1, 'confirmed',   datetime('now', '-200 days'), '198.51.100.7', datetime('now', '-199 days'), '198.51.100.7', NULL),
  (2, 1, 'confirmed',   datetime('now', '-120 days'), '198.51.100.8', datetime('now', '-119 days'), NULL, NULL),
  (3, 1, 'unconfirmed', datetime('now', '-40 days'),  '198.51.100.9', NULL, NULL, NULL),
  (4, 1, 'confirmed',   datetime('now', '-10 days'),  '203.0.113.4',  datetime('now', '-10 days'), '203.0.113.4', NULL),
  (4, 2, 'confirmed',   datetime('now', '-10 days'),  '203.0.113.4',  datetime('now', '-10 days'), '203.0.113.4', NULL);
INSERT INTO consent_events (lead_id, list_id, kind, occurred_at, ip) VALUES
  (1, 1, 'signup',  datetime('now', '-200 days'), '198.51.100.7'),
  (1, 1, 'confirm', datetime('now', '-199 days'), '198.51.100.7'),
  (4, 1, 'confirm', datetime('now', '-10 days'),  '203.0.113.4');
INSERT INTO erasure_requests (email, kind, received_at, completed_at) VALUES
  ('former@example.org', 'erasure',   datetime('now', '-45 days'), NULL),
  ('other@example.org',  'objection', datetime('now', '-20 days'), datetime('now', '-19 days'));
