-- forged_headers: incoming copies of the header fields the screener
-- writes (X-Relayscreen*, the configured tag headers) are deleted on
-- every direction and whatever the verdict, before ours are added
-- (issue 16, item 6).
dofile(confdir .. "/tap.lua")

local forged = {{"From", "alice@sender.example"}, {"To", "bob@example.com"},
                {"Subject", "hello"},
                {"X-Relayscreen", "clean"},
                {"X-Relayscreen-Original-Recipients", "ceo@example.com"},
                {"x-relayscreen-verdict", "pass"},
                {"X-Relayscreenish", "not ours"}}

-- Inbound, tagged: the forged copies go, ours is added.
local conn = session("public")
local r = message(conn, {qid = "FORGED1", headers = forged})
is(rname(r), "continue", "inbound message accepted")
ok(mt.eom_check(conn, MT_HDRDELETE, "X-Relayscreen"), "forged X-Relayscreen deleted")
ok(mt.eom_check(conn, MT_HDRDELETE, "X-Relayscreen-Original-Recipients"),
   "forged X-Relayscreen-Original-Recipients deleted")
ok(mt.eom_check(conn, MT_HDRDELETE, "x-relayscreen-verdict"), "any X-Relayscreen-* deleted")
ok(not mt.eom_check(conn, MT_HDRDELETE, "X-Relayscreenish"), "a longer name is not ours")
ok(mt.eom_check(conn, MT_HDRADD, "X-Relayscreen", "inbound"), "our own tag added")
mt.disconnect(conn)

-- Outbound, no rule fires: deleted all the same.
conn = session("submission", "192.0.2.20")
r = message(conn, {qid = "FORGED2", auth = "alice", headers = forged})
ok(r == SMFIR_CONTINUE, "outbound message accepted (" .. rname(r) .. ")")
ok(mt.eom_check(conn, MT_HDRDELETE, "X-Relayscreen-Original-Recipients"),
   "outbound: forged field deleted too")
mt.disconnect(conn)

-- An accept at MAIL no longer lets the message go before its header is
-- seen: with forged fields it goes on to end of message.
conn = session("public")
is(rname(mail(conn, "<boss@trusted.example>", "FORGED3")), "continue",
   "trusted sender: no answer before the header")
rcpt(conn, "<bob@example.com>", "FORGED3")
r = headers(conn, forged)
is(rname(r), "continue", "forged fields seen at end of header: not accepted yet")
r = body(conn, "hello\r\n")
ok(r == SMFIR_SKIP or r == SMFIR_CONTINUE, "body skipped (" .. rname(r) .. ")")
is(rname(eom(conn)), "continue", "accepted at end of message")
ok(mt.eom_check(conn, MT_HDRDELETE, "X-Relayscreen"), "accepted mail: forged field deleted")
ok(log_wait("queue_id=FORGED3 direction=inbound action=accept rule=trusted-sender"),
   "the accept is logged")
mt.disconnect(conn)

-- Two copies of one name: both deleted.
conn = session("public")
r = message(conn, {qid = "FORGED4", headers = {{"From", "a@sender.example"},
    {"X-Relayscreen-Original-Recipients", "one"}, {"Subject", "x"},
    {"X-Relayscreen-Original-Recipients", "two"}}})
ok(mt.eom_check(conn, MT_HDRDELETE, "X-Relayscreen-Original-Recipients"), "copies deleted")
mt.disconnect(conn)
