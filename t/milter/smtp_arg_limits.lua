-- smtp_arg_limits: HELO, MAIL FROM and RCPT TO arguments over their
-- configured lengths, and recipients over the maximum, get a 5xx.
dofile(confdir .. "/tap.lua")

local conn = mt.connect(socket, 40, 0.05)
mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "public", "{client_addr}", "192.0.2.10")
mt.conninfo(conn, "client.example", "192.0.2.10")
mt.helo(conn, string.rep("h", 41) .. ".example")
is(rname(mt.getreply(conn)), "replycode", "HELO over 40 refused")
mt.disconnect(conn)

conn = session("public")
is(rname(mt.getreply(conn)), "continue", "HELO within the limit accepted")
local long = "<" .. string.rep("a", 70) .. "@sender.example>"
is(rname(mail(conn, long)), "replycode", "MAIL FROM over 80 refused")
ok(log_wait("smtp:max_mail_length"), "limit logged")
is(rname(mail(conn, "<alice@sender.example>")), "continue", "short MAIL FROM accepted")
is(rname(rcpt(conn, "<" .. string.rep("b", 70) .. "@example.com>")), "replycode",
   "RCPT TO over 80 refused")
is(rname(rcpt(conn, "<r1@example.com>")), "continue", "recipient 1")
is(rname(rcpt(conn, "<r2@example.com>")), "continue", "recipient 2")
is(rname(rcpt(conn, "<r3@example.com>")), "continue", "recipient 3")
is(rname(rcpt(conn, "<r4@example.com>")), "replycode", "recipient 4 over max_recipients refused")
ok(log_wait("smtp:max_recipients"), "recipient limit logged")
mt.disconnect(conn)
