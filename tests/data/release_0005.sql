-- The data of a database made by the release whose schema ends at migration 0005 (the first
-- commit of issue 17's branch): one representative row in every table, written in SQL that
-- SQLite and PostgreSQL both take. tests/test_upgrade.py loads it at 0005, then upgrades.
INSERT INTO channels (platform, domain, external_id, thread, name, created_at)
VALUES ('telegram', 'travel', '-1001234567890', '77', 'travel', '2026-11-01 09:00:00');
INSERT INTO inbound_events (platform, external_id, kind, payload, status, attempts, domain, error, created_at, finished_at)
VALUES ('slack', 'Ev0005', 'message', '{"platform": "slack", "external_id": "Ev0005", "kind": "message", "user": "U1", "channel": "D1", "text": "Phase: booking"}', 'done', 1, 'travel', NULL, '2026-11-01 09:00:01', '2026-11-01 09:00:02');
INSERT INTO outbox ("key", platform, channel_key, target, post, kind, update_of, status, attempts, next_attempt_at, lease_until, claim, sent_channel, sent_message_id, sent_thread, last_error, source_event_id, created_at, sent_at)
VALUES ('ev1:reply', 'slack', 'slack:D1', '{"platform": "slack", "channel": "D1"}', '{"text": "Updated travel: phase → booking"}', 'post', NULL, 'sent', 1, '2026-11-01 09:00:02', NULL, NULL, 'D1', '1730451602.000100', NULL, NULL, 1, '2026-11-01 09:00:02', '2026-11-01 09:00:03');
INSERT INTO event_log (at, kind, actor, domain, charter_version, subject, data, cost_usd, source_event_id)
VALUES ('2026-11-01 09:00:02', 'agent.call', 'agent:travel', 'travel', '1', 'message:msg_1', '{"input_tokens": 120, "output_tokens": 30}', 0.0008, 1);
INSERT INTO status_docs (domain, doc, version, updated_at)
VALUES ('travel', '{"phase": "booking", "next_steps": ["pay the deposit"], "blockers": [], "kpis": {}}', 3, '2026-11-01 09:00:02');
INSERT INTO inbox_entries (created_at, updated_at, title, from_domain, to_domain, priority, ask, context, privacy_note, status, created_by, updated_by, updated_name, platform, origin, card_posts, source_event_id)
VALUES ('2026-11-01 09:00:02', '2026-11-01 09:05:00', 'pay the deposit', 'travel', 'finance', 'high', 'pay the deposit', 'flights to Lisbon', 'shared by travel', 'accepted', 'slack:U1', 'slack:U1', 'Ada', 'slack', '{"channel": "C1"}', '[1]', 1);
INSERT INTO approvals (public_id, domain, action, proposed_by, created_at, expires_at, status, decided_by, decided_name, decided_at, webhook_status, webhook_attempts, webhook_next_at, webhook_lease_until, webhook_claim, webhook_error, platform, origin, card_posts, source_event_id)
VALUES ('a1b2c3d4', 'travel', 'Book the 9:40 flight', 'slack:U1', '2026-11-01 09:00:02', '2026-11-08 09:00:02', 'approved', 'slack:U1', 'Ada', '2026-11-01 09:10:00', 'delivered', 1, NULL, NULL, NULL, NULL, 'slack', '{"channel": "C1"}', '[1]', 1);
INSERT INTO approval_decisions (approval_id, outcome, decided_by, decided_at, source_event_id)
VALUES (1, 'approved', 'slack:U1', '2026-11-01 09:10:00', 1);
INSERT INTO brief_runs (brief, "trigger", period, schedule, due_at, started_at, posted_at, status, late, outbox_ids, message_ids, requested_by, note)
VALUES ('weekly', 'schedule', '2026-W44', '0 8 * * mon', '2026-10-26 08:00:00', '2026-10-26 08:00:05', '2026-10-26 08:00:09', 'posted', FALSE, '[1]', '["1730451602.000100"]', NULL, NULL);
INSERT INTO agent_turns (kind, event_id, domain, status, attempts, trigger_event_id, in_home, reply_posts, prefix, text, data, stop, cost_usd, error, created_at, started_at, finished_at)
VALUES ('turn', 1, 'travel', 'done', 1, NULL, TRUE, '[1]', '', 'Phase is booking.', '{"tools": ["update_status"]}', 'end_turn', 0.0008, NULL, '2026-11-01 09:00:02', '2026-11-01 09:00:02', '2026-11-01 09:00:03');
INSERT INTO agent_notes (domain, kind, text, created_at, source_event_id)
VALUES ('travel', 'fact', 'prefers aisle seats', '2026-11-01 09:00:03', 1);
INSERT INTO agent_budget_notices (domain, month, kind, level, amount_usd, approval_public_id, created_at)
VALUES ('travel', '2026-11', 'warn', 0, NULL, NULL, '2026-11-01 09:00:03');
