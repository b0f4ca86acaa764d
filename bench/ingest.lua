-- wrk script: POST reports spread over 50 pages and 20 spots per page, so the real app
-- both opens corrections and groups repeats, as it does in production. Each request comes on
-- a new connection ("Connection: close"), like the Python load generator in ingest.py: a
-- reader's browser sends one report per page view, and nginx proxies to gunicorn with a
-- connection per request by default. With wrk's 16 kept-alive connections the figures
-- depended on how the connections happened to land on the two workers when they were
-- opened (the bare app measured 3,200, 6,800 or 8,700 req/s in three runs in a row).
local words = {"collegiums", "liaisons", "Lukashenko", "co-operation", "topical",
  "polycentric", "Makei", "harmonise", "politicisation", "trafficking", "CSTO", "Dublin",
  "revisionism", "Nuremberg", "enshrined", "Baltic", "multi-feature", "scrutiny",
  "substantive", "integration"}
local site = os.getenv("BENCH_SITE") or "bench"
local origin = os.getenv("BENCH_ORIGIN") or "https://news.example"
local counter = 0

request = function()
  counter = counter + 1
  local page = math.random(1, 50)
  local w = words[math.random(1, #words)]
  local body = string.format(
    '{"site":"%s","url":"%s/news/%d","title":"Article %d","lang":"en","exact":"%s",' ..
    '"prefix":"the text before ","suffix":" and after it","kind":"typo",' ..
    '"suggestion":"%s fixed","comment":"bench","elapsed_ms":4000,"client":"bench"}',
    site, origin, page, page, w, w)
  return wrk.format("POST", "/api/v1/reports",
    {["Content-Type"] = "text/plain;charset=UTF-8", ["Origin"] = origin,
     ["Connection"] = "close"}, body)
end
