-- ChartHop's webhook secret became a step of its own (charthop-webhook-secret,
-- stored before charthop-hire-webhook offers it for Lever). A profile that
-- finished the old combined step already stored the secret: record the new
-- step as done from that moment, so its progress does not go back.
INSERT INTO step_state (profile, integration, step, status, proof, values_json, completed_at, updated_at)
SELECT st.profile, st.integration, 'charthop-webhook-secret', 'done', 'checked', '{}', st.completed_at, st.updated_at
FROM step_state st
WHERE st.integration = 'charthop-lever' AND st.step = 'charthop-hire-webhook' AND st.status IN ('done', 'needs_rerun')
  AND EXISTS (SELECT 1 FROM secrets s
              WHERE s.profile = st.profile AND s.integration = 'charthop-lever' AND s.key = 'webhook_secret')
ON CONFLICT (profile, integration, step) DO NOTHING;
