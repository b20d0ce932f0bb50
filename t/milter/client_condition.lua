-- client_condition: a rule's client condition sees the connecting
-- client's address (Postfix's {client_addr}, else the address of the
-- connect callback) and whether it logged in (issue 13): an allowlist
-- on the partner's own servers and envelope sender.
dofile(confdir .. "/tap.lua")

local function exe_from(conn, from, auth)
    local r = mail(conn, from, "", auth)
    if r ~= SMFIR_CONTINUE then return r end
    rcpt(conn, "<victim@example.com>")
    r = headers(conn, mime_headers())
    if r == SMFIR_CONTINUE then r = body(conn, mime_body("setup.exe")) end
    if r == SMFIR_CONTINUE or r == SMFIR_SKIP then r = eom(conn) end
    return r
end

local conn = session("public", "198.51.100.7")
is(rname(exe_from(conn, "<sales@trusted-partner.example>")), "accept",
   "partner server and envelope sender: accepted")
ok(log_wait("action=accept rule=partner-hosts"), "by the partner rule")
mt.disconnect(conn)

conn = session("public", "203.0.113.9")
is(rname(exe_from(conn, "<sales@trusted-partner.example>")), "replycode",
   "partner envelope sender from another host: screened")
mt.disconnect(conn)

conn = session("public", "2001:db8:100::25")
is(rname(exe_from(conn, "<sales@trusted-partner.example>")), "accept",
   "IPv6 partner server: accepted")
mt.disconnect(conn)

-- Without the {client_addr} macro: the connect callback's address.
conn = mt.connect(socket, 40, 0.05)
mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "public")
if mt.conninfo(conn, "partner.example", "198.51.100.8") ~= nil then error("conninfo") end
mt.getreply(conn)
mt.helo(conn, "partner.example")
is(rname(exe_from(conn, "<sales@trusted-partner.example>")), "accept",
   "no {client_addr}: the connect callback's address is used")
mt.disconnect(conn)

-- A login: client = { authenticated = true; }.
conn = session("public", "192.0.2.50")
local r = mail(conn, "<alice@example.com>", "LOGIN1", "alice")
rcpt(conn, "<bob@example.net>", "LOGIN1")
r = headers(conn, {{"From", "alice@example.com"}, {"Subject", "hi"}})
if r == SMFIR_CONTINUE then r = body(conn, "hello\r\n") end
if r == SMFIR_CONTINUE or r == SMFIR_SKIP then r = eom(conn) end
ok(mt.eom_check(conn, MT_HDRADD, "X-Screener", "login"), "a logged-in client is tagged")
mt.disconnect(conn)
conn = session("public", "192.0.2.50")
r = message(conn, {qid = "LOGIN2"})
ok(not mt.eom_check(conn, MT_HDRADD, "X-Screener"), "an anonymous one is not")
mt.disconnect(conn)
