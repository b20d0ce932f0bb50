-- reload_refused: a reload that fails says how many errors it found
-- (it said "0 errors"), and a rule set too large to build is refused
-- like any other broken file: the milter keeps running with the old
-- rules (it used to exit inside the keyword automaton build).
dofile(confdir .. "/tap.lua")

local function write(path, text)
    local f = io.open(path, "w"); f:write(text); f:close()
end
local base = 'milter = { user = ""; pidfile = ""; socket_group = ""; };\n'
local function verdict(word)
    local conn = session("public")
    local r = message(conn, {body = {"text with " .. word .. "\r\n"}})
    mt.disconnect(conn)
    return rname(r)
end
local function reloads()
    local n = 0
    for _ in string.gmatch(log_text(), "keeping the rules loaded before") do n = n + 1 end
    return n
end
local function wait_reloads(n)
    for _ = 1, 100 do
        if reloads() >= n then return true end
        mt.sleep(0.05)
    end
    return false
end

is(verdict("alpha"), "replycode", "initial rules: alpha refused")

-- Four errors (two per rule): all counted, as many as are logged.
write(conffile, base .. 'rules = ( { name = "a"; action = "nonsense"; },\n' ..
      '          { name = "b"; sender = { domains = [ "x@y" ]; }; action = "reject"; } );\n')
os.execute("kill -HUP " .. pid)
ok(wait_reloads(1), "broken config: reload refused")
local lines = 0
for _ in string.gmatch(log_text(), "screener%.conf:%d+: ") do lines = lines + 1 end
is(lines, 4, "four errors logged with file and line")
ok(string.find(log_text(), "failed (4 errors)", 1, true) ~= nil,
   "the failure says 4 errors")

-- Too many keywords to build: refused, old rules kept, still running.
local words = {}
local seed = 12345
local alpha = "!$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`{|}~"
for i = 1, 60000 do
    local w = {}
    for j = 1, 12 do
        seed = (seed * 1103515245 + 12345) % 2147483648
        local k = (seed % #alpha) + 1
        w[j] = string.sub(alpha, k, k)
    end
    words[i] = table.concat(w)
end
write(tmpdir .. "/big-words.txt", table.concat(words, "\n") .. "\n")
write(conffile, base .. 'rules = ( { name = "big"; keywords = { words_file = "' ..
      tmpdir .. '/big-words.txt"; }; action = "hold"; } );\n')
os.execute("kill -HUP " .. pid)
ok(wait_reloads(2), "a rule set too large to build: reload refused")
ok(string.find(log_text(), "keywords: too many to build", 1, true) ~= nil,
   "the reason is logged with file and line")
ok(string.find(log_text(), "failed (1 error)", 1, true) ~= nil, "one error")
os.execute("sleep 0.3")
ok(os.execute("kill -0 " .. pid) == 0 or os.execute("kill -0 " .. pid) == true,
   "the milter is still running")
is(verdict("alpha"), "replycode", "old rules still in force")
