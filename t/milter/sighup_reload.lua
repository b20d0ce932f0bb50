-- sighup_reload: SIGHUP loads a new rule set; a broken file keeps the
-- old rules and logs why; a message in flight finishes with the rules it
-- started with.
dofile(confdir .. "/tap.lua")

local function write(text)
    local f = io.open(conffile, "w"); f:write(text); f:close()
end
local base = 'milter = { user = ""; pidfile = ""; socket_group = ""; };\n'
local function rules(word)
    return base .. 'rules = ( { name = "kw-' .. word .. '"; keywords = { words = ["' ..
        word .. '"]; }; action = "reject"; } );\n'
end
local function verdict(word)
    local conn = session("public")
    local r = message(conn, {body = {"text with " .. word .. "\r\n"}})
    mt.disconnect(conn)
    return rname(r)
end

is(verdict("alpha"), "replycode", "initial rules: alpha refused")
is(verdict("beta"), "continue", "initial rules: beta accepted")

-- A message starts under the old rules ...
local inflight = session("public")
mail(inflight, "<alice@sender.example>")
rcpt(inflight, "<bob@example.com>")
headers(inflight, {{"Subject", "x"}})

write(rules("beta"))
os.execute("kill -HUP " .. pid)
ok(log_wait("reloaded"), "reload logged")
is(verdict("beta"), "replycode", "new rules: beta refused")
is(verdict("alpha"), "continue", "new rules: alpha accepted")
-- ... and finishes with them.
local r = body(inflight, "text with alpha\r\n")
if r == SMFIR_CONTINUE then r = eom(inflight) end
is(rname(r), "replycode", "in-flight message finished with the old rules")
mt.disconnect(inflight)

write(base .. "rules = ( { name = broken\n")
os.execute("kill -HUP " .. pid)
ok(log_wait("keeping the rules loaded before"), "broken config: error logged")
ok(string.find(log_text(), "screener.conf:", 1, true) ~= nil, "error names file and line")
is(verdict("beta"), "replycode", "broken config: old rules still work")
is(verdict("alpha"), "continue", "broken config: nothing else changed")
