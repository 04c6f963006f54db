--[[
briefkit.lua: pulls a build's artifacts into the brief, for both engines (pandoc and Quarto).

Every string that comes from a seed or a reading enters the document as pandoc text nodes
(pandoc.Inlines of a plain string), never as markup, so the writers escape it for HTML and typst.
The one exception is the typst running header, built here as a typst *string literal*.

Metadata it reads:
  briefkit-build   folder of the build's artifacts, as this process can open it
  briefkit-media   the same folder as the output document refers to it (default: briefkit-build)

The brief uses this small subset of syntax, which both engines support:
  ::: {.bk-table name="claims"}          a table from tables/claims.json (+ a CSV download link in HTML)
  ::: {.bk-figure name="timeline"}       a figure: plotly in HTML, SVG in PDF
  ::: {.bk-list name="key-judgements"}   a bullet list from texts/key-judgements.json
  []{.bk-text name="thesis"}             an inline text from texts/thesis.json
  []{.bk-meta key="version"}             a field of brief.json
]]

local build = nil
local media = nil
local brief = {}
local plotly_done = false

local function is_html()
  return FORMAT:match("html") ~= nil
end

local function fail(msg)
  error("briefkit.lua: " .. msg, 0)
end

local function read_file(rel)
  local path = build .. "/" .. rel
  local f = io.open(path, "rb")
  if not f then
    fail("missing artifact " .. path)
  end
  local s = f:read("a")
  f:close()
  return s
end

local function read_json(rel)
  return pandoc.json.decode(read_file(rel), false)
end

local function text(value)
  if value == nil or value == pandoc.json.null then
    return pandoc.Inlines({})
  end
  -- A plain string becomes Str/Space nodes: no markdown is parsed.
  return pandoc.Inlines(tostring(value))
end

local function typst_string(s)
  s = tostring(s):gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("\r?\n", " ")
  return '"' .. s .. '"'
end

local function meta_string(v)
  if v == nil then
    return nil
  end
  return pandoc.utils.stringify(v)
end

local function attr_name(el)
  local name = el.attributes["name"]
  if not name or not name:match("^[a-z0-9][a-z0-9-]*$") then
    fail("element " .. table.concat(el.classes, " ") .. " needs a name=\"...\" attribute")
  end
  return name
end

local function column_widths(spec)
  if spec.widths and spec.widths ~= pandoc.json.null then
    return spec.widths
  end
  -- Proportional to the longest cell of each column, so wide text wraps instead of overflowing.
  local longest = {}
  for i, col in ipairs(spec.columns) do
    longest[i] = math.max(4, utf8.len(col.label) or #col.label)
    for _, row in ipairs(spec.rows) do
      local v = row[col.key]
      if v ~= nil and v ~= pandoc.json.null then
        local s = tostring(v)
        longest[i] = math.max(longest[i], math.min(60, utf8.len(s) or #s))
      end
    end
  end
  local total = 0
  for _, n in ipairs(longest) do
    total = total + n
  end
  local widths = {}
  for i, n in ipairs(longest) do
    widths[i] = n / total
  end
  return widths
end

local function make_table(name)
  local spec = read_json("tables/" .. name .. ".json")
  local headers, aligns = {}, {}
  for i, col in ipairs(spec.columns) do
    headers[i] = { pandoc.Plain(text(col.label)) }
    aligns[i] = pandoc.AlignDefault
  end
  local rows = {}
  for r, row in ipairs(spec.rows) do
    local cells = {}
    for i, col in ipairs(spec.columns) do
      cells[i] = { pandoc.Plain(text(row[col.key])) }
    end
    rows[r] = cells
  end
  local simple = pandoc.SimpleTable(text(spec.caption), aligns, column_widths(spec), headers, rows)
  local tbl = pandoc.utils.from_simple_table(simple)
  tbl.attr = pandoc.Attr("tbl-" .. name, { "bk-table" })
  local blocks = { tbl }
  if is_html() and spec.csv then
    local link = pandoc.Link(text("Download the data (CSV)"), spec.csv, "", pandoc.Attr("", { "bk-download" }, { download = "" }))
    table.insert(blocks, pandoc.Para({ link }))
  end
  return blocks
end

local function make_figure(name)
  local spec = read_json("figures/" .. name .. ".json")
  local caption = { pandoc.Plain(text(spec.caption)) }
  local content
  local blocks = {}
  if is_html() then
    if not plotly_done then
      -- A placeholder that briefkit replaces with assets/plotly.min.js after the engine ran:
      -- pandoc's --embed-resources takes seconds to scan 4.8 MB of inline script.
      table.insert(blocks, pandoc.RawBlock("html", "<!-- briefkit:plotly.js -->"))
      plotly_done = true
    end
    local div = read_file("figures/" .. name .. ".html")
    content = { pandoc.Div({ pandoc.RawBlock("html", div) }, pandoc.Attr("", { "bk-plot" }, { role = "img", ["aria-label"] = spec.alt })) }
  else
    local img = pandoc.Image(text(spec.alt), media .. "/figures/" .. name .. ".svg", "", pandoc.Attr("", {}, { width = "100%" }))
    content = { pandoc.Plain({ img }) }
  end
  table.insert(blocks, pandoc.Figure(content, caption, pandoc.Attr("fig-" .. name, { "bk-figure" })))
  return blocks
end

local function make_list(name)
  local items = read_json("texts/" .. name .. ".json")
  local out = {}
  for i, item in ipairs(items) do
    out[i] = { pandoc.Plain(text(item)) }
  end
  if #out == 0 then
    return { pandoc.Para(text("(none recorded)")) }
  end
  return { pandoc.BulletList(out) }
end

local function set_meta(meta)
  build = meta_string(meta["briefkit-build"])
  if not build then
    fail("metadata briefkit-build is not set (pass -M briefkit-build=<build folder>)")
  end
  media = meta_string(meta["briefkit-media"]) or build
  brief = read_json("brief.json")
  meta.title = text(brief.title)
  meta.subtitle = text(brief.subtitle)
  meta.date = text(brief.date)
  if brief.author then
    meta.author = { text(brief.author) }
  end
  if not is_html() then
    -- Running header: title left, version and status right; from page 2 on.
    local header = "#set page(header: context { if counter(page).get().first() > 1 { "
      .. "set text(size: 8pt, fill: luma(90)); "
      .. typst_string(brief.short_title or brief.title)
      .. "; h(1fr); "
      .. typst_string(brief.stamp)
      .. " } })"
    local includes = meta["header-includes"] or pandoc.List({})
    if includes.t == "MetaBlocks" or includes.t == "MetaInlines" then
      includes = pandoc.List({ includes })
    end
    includes:insert(pandoc.MetaBlocks({ pandoc.RawBlock("typst", header) }))
    meta["header-includes"] = includes
  end
  return meta
end

local function expand_div(el)
  if el.classes:includes("bk-table") then
    return make_table(attr_name(el))
  elseif el.classes:includes("bk-figure") then
    return make_figure(attr_name(el))
  elseif el.classes:includes("bk-list") then
    return make_list(attr_name(el))
  end
end

local function expand_span(el)
  if el.classes:includes("bk-text") then
    return text(read_json("texts/" .. attr_name(el) .. ".json"))
  elseif el.classes:includes("bk-meta") then
    local key = el.attributes["key"]
    if brief[key] == nil then
      fail("brief.json has no field " .. tostring(key))
    end
    return text(brief[key])
  end
end

return {
  { Meta = set_meta },
  { Div = expand_div, Span = expand_span },
}
