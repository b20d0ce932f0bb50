-- negotiate_actions: the screener asks for every action it may take
-- (header changes, recipients, body, quarantine) and drops the protocol
-- steps it does not need (DATA, unknown commands) and the replies it
-- never needs to give at once (connect, each header).
dofile(confdir .. "/tap.lua")

local conn = session("public")
ok(mt.test_action(conn, SMFIF_ADDHDRS), "may add headers")
ok(mt.test_action(conn, SMFIF_CHGHDRS), "may change headers")
ok(mt.test_action(conn, SMFIF_ADDRCPT), "may add recipients")
ok(mt.test_action(conn, SMFIF_DELRCPT), "may delete recipients")
ok(mt.test_action(conn, SMFIF_CHGBODY), "may replace the body")
ok(mt.test_action(conn, SMFIF_QUARANTINE), "may quarantine")
ok(not mt.test_action(conn, SMFIF_CHGFROM), "does not ask to change the sender")
ok(mt.test_option(conn, SMFIP_NODATA), "no DATA step")
ok(mt.test_option(conn, SMFIP_NOUNKNOWN), "no unknown-command step")
ok(not mt.test_option(conn, SMFIP_NOBODY), "body wanted")
ok(mt.test_option(conn, SMFIP_NR_HDR), "no reply per header (answered at end of header)")
ok(mt.test_option(conn, SMFIP_NR_CONN), "no reply to connect")
ok(not mt.test_option(conn, SMFIP_NR_BODY), "a reply per body chunk (early refusal)")
mt.disconnect(conn)
