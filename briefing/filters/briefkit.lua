--[[
briefkit.lua: pulls a build's artifacts into the brief, for both engines (pandoc and Quarto).

Every string that comes from a seed or a reading enters the document as data, never as markup:
in HTML as pandoc text nodes (pandoc.Inlines of a plain string), which the writer escapes; in typst
as a typst *string literal* (`#"...";`), because pandoc's typst writer leaves "= ", "- ", "+ " and
"1. " at the start of a table cell as markup (a heading, a list item). The running header is
typst string literals too. Python writes such literals with briefkit.escape.typst_string.

Metadata it reads:
  briefkit-build   folder of the build's artifacts, as this process can open it
  briefkit-media   the same folder as the output document refers to it (default: briefkit-build)

The brief uses this small subset of syntax, which both engines support:
  ::: {.bk-table name="claims"}          a table from tables/claims.json (+ a CSV download link in HTML)
  ::: {.bk-figure name="timeline"}       a figure: plotly in HTML, SVG in PDF
  ::: {.bk-list name="key-judgements"}   a bullet list from texts/key-judgements.json (entries:
                                         strings, or {lead, text, items} with a nested list)
  ::: {.bk-tables prefix="matrix-"}      every table whose name starts with the prefix, by name
  ::: {.bk-downloads}                    links to the build's data files (downloads.json)
  ::: {.bk-article name="article"}       the annotated article from texts/article.json: numbered
                                         paragraphs, quoted spans marked with their items' ids
  ::: {.bk-toc}                          the PDF's table of contents (HTML puts its own at the top)
  ::: {.bk-box}                          a box set apart from the text (HTML, PDF; plain in Word);
                                         .bk-summary (page 1, set tighter), .bk-columns (two) alike
  []{.bk-text name="thesis"}             an inline text from texts/thesis.json
  []{.bk-meta key="version"}             a field of brief.json
  ::: {.bk-list key="changes"}           a bullet list from a list field of brief.json
  ::: {.bk-optional key="changes"}       kept only when brief.json has that field (releases)
  ::: {.content-visible when-format="typst"}   Quarto's own: only in that format (also
                                         .content-hidden, unless-format); see show_for_format
]]

local build = nil
local media = nil
local brief = {}
local plotly_done = false

-- Whether the writer is `name` ("html", "typst", "docx"), asked the way Quarto's own filters ask:
-- quarto.doc.is_format (quarto-cli src/resources/pandoc/datadir/_format.lua, where "html" also
-- covers html4/html5 and a writer name must equal FORMAT). Under plain pandoc, FORMAT is the
-- writer's name ("html5", "typst", "docx"). Every format-specific branch below names its format;
-- any other writer gets plain pandoc elements, never another format's raw code.
local function is_format(name)
  if quarto ~= nil and quarto.doc ~= nil and quarto.doc.is_format ~= nil then
    return quarto.doc.is_format(name)
  end
  if name == "html" then
    return FORMAT:match("^html") ~= nil
  end
  return FORMAT == name
end

local function is_html()
  return is_format("html")
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

-- Each file decoded once: the tables and the article are read before the expansion pass (for
-- the ids and the paragraph references) and again to expand them. Nothing changes a decoded file.
local decoded = {}

local function read_json(rel)
  if decoded[rel] == nil then
    decoded[rel] = pandoc.json.decode(read_file(rel), false)
  end
  return decoded[rel]
end

local function is_typst()
  return is_format("typst")
end

-- A typst string literal of s: control characters and whitespace runs become one space, and
-- only `\` and `"` need escaping inside the quotes. `{` is written `\u{7b}` (the same character
-- to typst): Quarto expands shortcodes (`{{< env HOME >}}`) inside raw typst text
-- (customnodes/shortcodes.lua), so no raw output may contain `{{<`.
local function typst_string(s)
  s = tostring(s):gsub("%c", " "):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  s = s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("{", "\\u{7b}")
  return '"' .. s .. '"'
end

-- An attribute value from seed text. Under Quarto, whose shortcode pass also reads attribute
-- values (customnodes/shortcodes.lua, attr_handler), `{{<` gets an invisible word joiner
-- (U+2060) after its braces; pandoc never expands anything, so there the text stays as it is.
local function attr_text(s)
  s = tostring(s)
  if quarto ~= nil then
    s = s:gsub("{{<", "{{\u{2060}<")
  end
  return s
end

-- The string of a value that text() shows; nil for none.
local function text_string(value)
  if value == nil or value == pandoc.json.null then
    return nil
  end
  if type(value) == "number" and value == math.floor(value) then
    return string.format("%d", value)
  end
  return tostring(value)
end

local function text(value)
  local s = text_string(value)
  if s == nil then
    return pandoc.Inlines({})
  end
  if is_typst() then
    -- The `;` ends the embedded expression, so a following "." is text, not a method call.
    return pandoc.Inlines({ pandoc.RawInline("typst", "#" .. typst_string(s) .. ";") })
  end
  -- A plain string becomes Str/Space nodes: no markdown is parsed.
  return pandoc.Inlines(s)
end

-- text(value) as an element's content: outside typst its string, of which pandoc makes the same
-- Str/Space nodes in one step (a Lua list of inlines is converted element by element).
local function text_content(value)
  local s = text_string(value)
  if s == nil or is_typst() then
    return text(value)
  end
  return s
end

-- pandoc.Plain(text(value)), made faster: given the string, pandoc makes the block's Str/Space
-- nodes itself, while a Lua list of inlines is converted element by element, into Lua and back
-- (most of the filter's time went there, in the tables' cells).
local function plain_text(value)
  local s = text_string(value)
  if s == nil or is_typst() then
    return pandoc.Plain(text(value))
  end
  return pandoc.Plain(s)
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

-- HTML: every item id is a link. The first row (in document order) whose "id" cell holds an
-- id is that item's row: its id cell becomes an anchor, item-<id>; in a cell or column label
-- that is a comma-separated list, each entry that is a known id (maybe followed by a note in
-- brackets) links to its row. Ids are matched as whole entries, never in running text.
local item_row = {}
local anchored = {}

local function tables_with_prefix(prefix)
  local names = {}
  for _, file in ipairs(pandoc.system.list_directory(build .. "/tables")) do
    local name = file:match("^(.*)%.json$")
    if name and name:sub(1, #prefix) == prefix then
      table.insert(names, name)
    end
  end
  table.sort(names)
  return names
end

local function note_items(name)
  for _, row in ipairs(read_json("tables/" .. name .. ".json").rows) do
    local id = row["id"]
    if type(id) == "string" and item_row[id] == nil then
      item_row[id] = name
    end
  end
end

-- Runs before the expansion pass, over the tables in the order the brief shows them.
local function note_tables(el)
  if not is_html() then
    return nil
  elseif el.classes:includes("bk-table") then
    note_items(attr_name(el))
  elseif el.classes:includes("bk-tables") then
    for _, name in ipairs(tables_with_prefix(el.attributes["prefix"] or "")) do
      note_items(name)
    end
  end
end

local function item_link(id, anchor)
  local attr = pandoc.Attr(anchor and ("item-" .. id) or "", { "bk-id" })
  return pandoc.Link(text_content(id), "#item-" .. id, "", attr)
end

-- A cell's inlines in HTML, links for the ids it lists (the anchor on the item's row); nil when
-- the cell is its text alone.
local function linked_inlines(name, key, value)
  if not is_html() or type(value) ~= "string" then
    return nil
  end
  if key == "id" and item_row[value] == name and not anchored[value] then
    anchored[value] = true
    return pandoc.Inlines({ item_link(value, true) })
  end
  -- A list of ids, each maybe with a note ("O4 (undercuts)"); words among them ("Thesis", an
  -- item with no row) stay text. A cell with no known id at all is text as it is.
  local parts, linked = {}, false
  for part in (value .. ", "):gmatch("(.-), ") do
    local id, note = part:match("^(%S+)( %(.*%))$")
    if not (id and item_row[id]) then
      id, note = part, ""
    end
    if item_row[id] then
      linked = true
      table.insert(parts, { id = id, note = note })
    else
      table.insert(parts, { words = part })
    end
  end
  if not linked then
    return nil
  end
  local out = pandoc.Inlines({})
  for i, part in ipairs(parts) do
    if i > 1 then
      out:extend({ pandoc.Str(","), pandoc.Space() })
    end
    if part.words then
      out:extend(text(part.words))
    else
      out:insert(item_link(part.id, false))
      out:extend(text(part.note))
    end
  end
  return out
end

-- Where the annotated article (.bk-article) quotes each item: id -> {{paragraph, anchor}, ...}.
local item_refs = {}

-- An item's paragraphs, "¶3, ¶7", under its id; in HTML each links to the item's span there.
local function paragraph_refs(id)
  local refs = type(id) == "string" and item_refs[id] or nil
  if refs == nil or #refs == 0 then
    return pandoc.Inlines({})
  end
  local out = pandoc.Inlines({ pandoc.LineBreak() })
  for i, ref in ipairs(refs) do
    if i > 1 then
      out:extend({ pandoc.Str(","), pandoc.Space() })
    end
    local label = string.format("\u{b6}%d", math.floor(ref.paragraph))
    if is_html() then
      local title = "Where the article says it (paragraph " .. math.floor(ref.paragraph) .. ")"
      out:insert(pandoc.Link(text_content(label), "#" .. ref.anchor, title, pandoc.Attr("", { "bk-pref" })))
    else
      out:extend(text(label))
    end
  end
  return pandoc.Inlines({ pandoc.Span(out, pandoc.Attr("", { "bk-prefs" })) })
end

-- A cell's block; an item's id is followed by the paragraphs that quote it.
local function cell_block(name, key, value)
  local out = linked_inlines(name, key, value)
  if key == "id" then
    out = out or text(value)
    out:extend(paragraph_refs(value))
  end
  return out and pandoc.Plain(out) or plain_text(value)
end

-- HTML: a file of the build as a data: URL, so that a download works from the HTML file alone
-- (e-mailed, or saved without its folder). The filter writes a placeholder that names the file
-- (its path in hex, which no writer changes); briefkit puts the percent-encoded data: URL there
-- after the engine ran (briefkit.render.html.complete_page): pandoc's --embed-resources re-read
-- every encoded byte, a third of the HTML render. The file must exist now, as before.
local function data_url(rel)
  local f = io.open(build .. "/" .. rel, "rb")
  if not f then
    fail("missing artifact " .. build .. "/" .. rel)
  end
  f:close()
  return "briefkit-data:" .. rel:gsub(".", function(c)
    return string.format("%02x", c:byte())
  end)
end

local function download_link(inlines, rel)
  local file = rel:match("([^/]+)$")
  local attr = pandoc.Attr("", { "bk-download" }, { { "download", file } })
  return pandoc.Link(inlines, data_url(rel), "", attr)
end

-- A table with `symbols` (a condition matrix: Artifacts.table): the columns whose cells are all
-- texts it maps (or empty) show the symbols, centred. In HTML the symbol is hidden from screen
-- readers and the cell's text stays, visually hidden, as its equivalent (and shows on hover).
local function has_symbols(spec)
  return type(spec.symbols) == "table"
end

local function symbol_columns(spec)
  local symbolic = {}
  if not has_symbols(spec) then
    return symbolic
  end
  for _, col in ipairs(spec.columns) do
    local seen, all = false, true
    for _, row in ipairs(spec.rows) do
      local v = row[col.key]
      if v ~= nil and v ~= pandoc.json.null then
        seen = true
        all = all and type(v) == "string" and spec.symbols[v] ~= nil
      end
    end
    symbolic[col.key] = seen and all
  end
  return symbolic
end

local function symbol_inlines(spec, value)
  if value == nil or value == pandoc.json.null then
    return pandoc.Inlines({})
  end
  local symbol = spec.symbols[value]
  if is_typst() then
    -- A little larger than the table's text, so that the half-filled one reads as such.
    return pandoc.Inlines({ pandoc.RawInline("typst", "#text(size: 1.3em, " .. typst_string(symbol) .. ");") })
  elseif not is_html() then
    return text(symbol)
  end
  local shown = pandoc.Span(text_content(symbol), pandoc.Attr("", { "bk-symbol" }, { { "aria-hidden", "true" }, { "title", attr_text(value) } }))
  return pandoc.Inlines({ shown, pandoc.Span(text_content(value), pandoc.Attr("", { "bk-sr" })) })
end

-- A table or figure the notebook says has nothing to show: its sentence instead ("instead"),
-- or nothing at all when the sentence is empty (another element says it already).
local function shown_instead(spec)
  if spec.instead == nil or spec.instead == pandoc.json.null then
    return nil
  end
  if spec.instead == "" then
    return {}
  end
  return { pandoc.Para(text(spec.instead)) }
end

local function make_table(name)
  local spec = read_json("tables/" .. name .. ".json")
  local none = shown_instead(spec)
  if none then
    return none
  end
  local symbolic = symbol_columns(spec)
  local headers, aligns = {}, {}
  for i, col in ipairs(spec.columns) do
    headers[i] = { cell_block(name, nil, col.label) }
    -- Explicitly left: typst centres "auto" cells inside pandoc's centred table figure.
    aligns[i] = symbolic[col.key] and pandoc.AlignCenter or pandoc.AlignLeft
  end
  local rows = {}
  for r, row in ipairs(spec.rows) do
    local cells = {}
    for i, col in ipairs(spec.columns) do
      local value = row[col.key]
      if symbolic[col.key] then
        cells[i] = { pandoc.Plain(symbol_inlines(spec, value)) }
      else
        cells[i] = { cell_block(name, col.key, value) }
      end
    end
    rows[r] = cells
  end
  local simple = pandoc.SimpleTable(text(spec.caption), aligns, column_widths(spec), headers, rows)
  local tbl = pandoc.utils.from_simple_table(simple)
  tbl.attr = pandoc.Attr("tbl-" .. name, has_symbols(spec) and { "bk-table", "bk-matrix" } or { "bk-table" })
  local blocks = { tbl }
  if is_html() then
    -- A wide table scrolls inside this box on a phone; focusable, so a keyboard can scroll it.
    local attrs = { { "role", "region" }, { "tabindex", "0" }, { "aria-label", attr_text(spec.caption) } }
    blocks = { pandoc.Div(blocks, pandoc.Attr("", { "bk-scroll" }, attrs)) }
  end
  if is_html() and spec.csv then
    table.insert(blocks, pandoc.Para({ download_link(text("Download the data (CSV)"), spec.csv) }))
  end
  return blocks
end

-- A figure spec's caption, alt text and `instead`, without decoding its plotly figure: tens of
-- kilobytes the filter never reads, whose decoding was a sixth of the HTML render. briefkit
-- writes a spec with sorted keys indented by one space (briefkit.artifacts.write_json), and no
-- JSON string holds a newline, so the figure is the text from `\n "figure": ` to the first
-- `\n }` after it. A spec written otherwise is decoded whole.
local function figure_spec(name)
  local rel = "figures/" .. name .. ".json"
  local s = read_file(rel)
  local at = s:find('\n "figure": ', 1, true)
  local stop = at and s:find("\n }", at, true)
  if at and stop then
    local ok, spec = pcall(pandoc.json.decode, s:sub(1, at - 1):gsub(",$", "") .. s:sub(stop + 3), false)
    if ok and type(spec) == "table" and spec.figure == nil and spec.alt ~= nil then
      return spec
    end
  end
  return read_json(rel)
end

local function make_figure(name)
  local spec = figure_spec(name)
  local none = shown_instead(spec)
  if none then
    return none
  end
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
    -- Attributes as a list of pairs: a Lua table's key order changes from run to run.
    if div:find("{{<", 1, true) then
      -- plotly writes "<" inside its JSON as \u003c, so this is a bug, not seed text.
      fail("figures/" .. name .. ".html contains '{{<', which Quarto would expand as a shortcode")
    end
    -- A group, not an img: the plot holds buttons (plotly's mode bar), which an img may not
    -- contain. It scrolls sideways on a phone, so it is focusable.
    local attrs = { { "role", "group" }, { "aria-label", attr_text(spec.alt) }, { "tabindex", "0" } }
    content = { pandoc.Div({ pandoc.RawBlock("html", div) }, pandoc.Attr("", { "bk-plot" }, attrs)) }
  elseif is_typst() then
    -- pandoc's typst writer drops an image's alt text: write the call, from string literals.
    local src = media .. "/figures/" .. name .. ".svg"
    local call = "#image(" .. typst_string(src) .. ", width: 100%, alt: " .. typst_string(spec.alt) .. ");"
    content = { pandoc.Plain({ pandoc.RawInline("typst", call) }) }
  else
    -- Word reads PNG everywhere (an SVG needs a PNG fallback that pandoc makes only with
    -- rsvg-convert); other writers refer to the SVG.
    local ext = is_format("docx") and ".png" or ".svg"
    local src = media .. "/figures/" .. name .. ext
    local img = pandoc.Image(pandoc.Inlines(tostring(spec.alt)), src, "", pandoc.Attr("", {}, { width = "100%" }))
    content = { pandoc.Plain({ img }) }
  end
  table.insert(blocks, pandoc.Figure(content, caption, pandoc.Attr("fig-" .. name, { "bk-figure" })))
  return blocks
end

local function present(v)
  return v ~= nil and v ~= pandoc.json.null
end

-- A bullet list of entries: a string, or {lead, text, items} (briefkit.artifacts.ENTRY_KEYS):
-- the lead in bold, then the text, then the entry's own items as a nested list.
local function list_blocks(items)
  local out = {}
  for i, item in ipairs(items) do
    if type(item) == "table" then
      local inlines = pandoc.Inlines({})
      if present(item.lead) then
        inlines:insert(pandoc.Strong(text_content(item.lead)))
        inlines:insert(pandoc.Space())
      end
      inlines:extend(text(item.text))
      out[i] = { pandoc.Plain(inlines) }
      if type(item.items) == "table" and #item.items > 0 then
        table.insert(out[i], list_blocks(item.items))
      end
    else
      out[i] = { plain_text(item) }
    end
  end
  return pandoc.BulletList(out)
end

local function make_list(el)
  local key = el.attributes["key"]
  local items
  if key then
    items = brief[key]
    if type(items) ~= "table" then
      fail("brief.json field " .. key .. " is not a list")
    end
  else
    items = read_json("texts/" .. attr_name(el) .. ".json")
  end
  if #items == 0 then
    return { pandoc.Para(text("None.")) }
  end
  return { list_blocks(items) }
end

local function make_tables(prefix)
  local blocks = {}
  for _, name in ipairs(tables_with_prefix(prefix)) do
    for _, block in ipairs(make_table(name)) do
      table.insert(blocks, block)
    end
  end
  return blocks
end

local function make_downloads()
  local files = read_json("downloads.json")
  local items = {}
  for i, file in ipairs(files) do
    local inlines
    if is_html() then
      inlines = pandoc.Inlines({ download_link(text(file.path), file.path) })
    else
      inlines = pandoc.Inlines({ pandoc.Code(file.path) })
    end
    inlines:insert(pandoc.Str(":"))
    inlines:insert(pandoc.Space())
    inlines:extend(text(file.description))
    items[i] = { pandoc.Plain(inlines) }
  end
  return { pandoc.BulletList(items) }
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
  -- The date is in the status line (stamp); leaving it out of the title block keeps the
  -- summary on page 1.
  if brief.author then
    meta.author = { text(brief.author) }
    if quarto ~= nil then
      -- Quarto builds `by-author` from `author` before user filters run (normalize.lua,
      -- modules/authors.lua) and its HTML and typst title templates read only `by-author`
      -- (title-metadata.html, typst-show.typ: it.name.literal): set it the way Quarto reads it.
      meta["by-author"] = { { name = { literal = text(brief.author) } } }
    end
  end
  return meta
end

-- HTML: the table of contents (a sidebar on a wide screen, folded on a phone: brief.css), the
-- brief's text in <main> (Quarto's own page has one already), and a link to the PDF when the same
-- build made one beside the HTML.
local function add_frame(doc)
  if not is_html() then
    return nil
  end
  local heads = {}
  doc.blocks:walk({
    Header = function(h)
      table.insert(heads, h)
    end,
  })
  local top = nil
  for _, h in ipairs(heads) do
    top = math.min(top or h.level, h.level)
  end
  local items = {}
  for _, h in ipairs(heads) do
    if h.level == top and h.identifier ~= "" then
      table.insert(items, { pandoc.Plain({ pandoc.Link(h.content, "#" .. h.identifier) }) })
    end
  end
  local blocks = pandoc.Blocks({})
  if #items > 0 then
    blocks:insert(pandoc.RawBlock("html", '<nav id="TOC" role="doc-toc" aria-label="Contents">'
      .. '<details class="bk-toc"><summary>Contents</summary>'))
    blocks:insert(pandoc.BulletList(items))
    blocks:insert(pandoc.RawBlock("html", "</details></nav>"))
  end
  local in_quarto = quarto ~= nil
  if not in_quarto then
    blocks:insert(pandoc.RawBlock("html", '<main id="brief">'))
  end
  for _, fmt in ipairs(type(brief.formats) == "table" and brief.formats or {}) do
    if fmt == "pdf" then
      local link = pandoc.Link(text_content("This brief as a PDF (brief.pdf)"), "brief.pdf", "", pandoc.Attr("", { "bk-pdf" }))
      blocks:insert(pandoc.Para({ link }))
    end
  end
  blocks:extend(doc.blocks)
  if not in_quarto then
    blocks:insert(pandoc.RawBlock("html", "</main>"))
  end
  doc.blocks = blocks
  return doc
end

-- Word's outline: a TOC field of the first heading level (as the PDF's), filled when Word opens
-- the file (the reference document asks it to update fields). Static: no seed text here.
local WORD_TOC = [[<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents" /><w:docPartUnique /></w:docPartObj></w:sdtPr><w:sdtContent><w:p><w:pPr><w:pStyle w:val="TOCHeading" /></w:pPr><w:r><w:t xml:space="preserve">Contents</w:t></w:r></w:p><w:p><w:r><w:fldChar w:fldCharType="begin" w:dirty="true" /><w:instrText xml:space="preserve"> TOC \o "1-1" \h \z \u </w:instrText><w:fldChar w:fldCharType="separate" /><w:fldChar w:fldCharType="end" /></w:r></w:p></w:sdtContent></w:sdt>]]

local function add_stamp(doc)
  if is_format("docx") then
    -- The reference document's running header shows these document properties (pandoc writes
    -- other metadata as custom properties, XML-escaped); the build's folders are this
    -- machine's paths and stay out of the file.
    doc.meta["bk-title"] = pandoc.MetaString(tostring(brief.short_title or brief.title))
    doc.meta["bk-stamp"] = pandoc.MetaString(tostring(brief.stamp))
    doc.meta["briefkit-build"] = nil
    doc.meta["briefkit-media"] = nil
    return doc
  end
  if not is_typst() then
    return nil
  end
  -- The running header (briefing/brief-typst.typ) reads title and stamp from this labelled
  -- metadata; seed text enters typst only as escaped string literals.
  local stamp = "#metadata((title: "
    .. typst_string(brief.short_title or brief.title)
    .. ", stamp: "
    .. typst_string(brief.stamp)
    .. ")) <bk-stamp>"
  doc.blocks:insert(1, pandoc.RawBlock("typst", stamp))
  return doc
end

-- Quarto's conditional blocks, for the embedded engine: `::: {.content-visible when-format=
-- "typst"}` and `.content-hidden`, with `when-format` / `unless-format`. A block is visible when
-- every condition it names matches, as quarto-cli decides it (v1.7.34,
-- src/resources/filters/customnodes/content-hidden.lua: propertiesMatch, is_visible), and shows
-- its content without the wrapper. Quarto parses these blocks before user filters run
-- (normalize/astpipeline.lua, parse_extended_nodes), so under Quarto this never sees one.
local function show_for_format(el)
  local visible = el.classes:includes("content-visible")
  if not visible and not el.classes:includes("content-hidden") then
    return nil
  end
  for _, key in ipairs({ "when-meta", "unless-meta", "when-profile", "unless-profile" }) do
    if el.attributes[key] then
      fail(key .. " is not supported by the embedded engine: use when-format or unless-format")
    end
  end
  local when, unless = el.attributes["when-format"], el.attributes["unless-format"]
  local match = (when == nil or is_format(when)) and (unless == nil or not is_format(unless))
  return visible == match and el.content or {}
end

-- The annotated article (texts/<name>.json, from briefkit.present.annotated_article): its
-- paragraphs numbered; every quoted span marked, and after it the ids of the items that quote it.
-- HTML: each id links to the item's row, its quote on hover; the span starts at an anchor
-- q-<item>-<k> (the tables' paragraph references lead there). typst: highlighted, the ids in
-- superscript. Other writers: highlighted, the ids in brackets.
local function note_article(el)
  if el.classes:includes("bk-article") then
    item_refs = read_json("texts/" .. attr_name(el) .. ".json").refs
  end
end

local function quoted_by(owners)
  local out = pandoc.Inlines({})
  for i, owner in ipairs(owners) do
    if i > 1 then
      out:extend({ pandoc.Str(","), pandoc.Space() })
    end
    local title = owner.quote
    if owner.role ~= "the item" then
      title = owner.role .. ": " .. title
    end
    -- Which spans the id closes (names made by briefkit from item ids, not seed text).
    local spans = { { "data-spans", table.concat(owner.spans, " ") } }
    if is_html() and item_row[owner.id] ~= nil then
      local attr = pandoc.Attr("", { "bk-id", "bk-qid" }, spans)
      out:insert(pandoc.Link(text_content(owner.id), "#item-" .. owner.id, attr_text(title), attr))
    elseif is_html() then
      -- No row in the brief's tables (the thesis): the id with its quote on hover.
      table.insert(spans, { "title", attr_text(title) })
      out:insert(pandoc.Span(text_content(owner.id), pandoc.Attr("", { "bk-qid" }, spans)))
    else
      out:extend(text(owner.id))
    end
  end
  if is_html() or is_typst() then
    return pandoc.Inlines({ pandoc.Superscript(out) })
  end
  local bracketed = pandoc.Inlines({ pandoc.Space(), pandoc.Str("[") })
  bracketed:extend(out)
  bracketed:insert(pandoc.Str("]"))
  return bracketed
end

-- A piece of the article's text, its edge spaces kept (a typst literal trims them).
local function article_text(s, depth)
  local inlines = pandoc.Inlines({})
  local body = s:match("^%s*(.-)%s*$")
  if s:match("^%s") then
    inlines:insert(pandoc.Space())
  end
  if body ~= "" then
    inlines:extend(text(body))
    if s:match("%s$") then
      inlines:insert(pandoc.Space())
    end
  end
  if depth >= 2 then
    -- Text that two or more spans cover: a mark within a mark, darker.
    inlines = pandoc.Inlines({ pandoc.Span(inlines, pandoc.Attr("", { "mark", "bk-overlap" })) })
  end
  if depth >= 1 then
    inlines = pandoc.Inlines({ pandoc.Span(inlines, pandoc.Attr("", { "mark" })) })
  end
  return inlines
end

local function make_article(name)
  local spec = read_json("texts/" .. name .. ".json")
  local blocks = {}
  for n, pieces in ipairs(spec.paragraphs) do
    local inlines = pandoc.Inlines({})
    for _, piece in ipairs(pieces) do
      if piece.text ~= nil then
        inlines:extend(article_text(piece.text, piece.depth))
      elseif piece.ids ~= nil then
        inlines:extend(quoted_by(piece.ids))
      elseif is_html() then
        for _, anchor in ipairs(piece.anchors) do
          inlines:insert(pandoc.Span({}, pandoc.Attr(anchor, { "bk-anchor" })))
        end
      end
    end
    local number = string.format("\u{b6}%d", n)
    if is_typst() then
      inlines:insert(1, pandoc.RawInline("typst", string.format("#bk-para(%d)[", n)))
      inlines:insert(pandoc.RawInline("typst", "]"))
      table.insert(blocks, pandoc.Para(inlines))
    elseif is_html() then
      inlines:insert(1, pandoc.Span(text_content(number), pandoc.Attr("", { "bk-pnum" })))
      inlines:insert(2, pandoc.Space())
      table.insert(blocks, pandoc.Div({ pandoc.Para(inlines) }, pandoc.Attr("para-" .. n, { "bk-para" })))
    else
      inlines:insert(1, pandoc.Strong(text_content(number)))
      inlines:insert(2, pandoc.Space())
      table.insert(blocks, pandoc.Para(inlines))
    end
  end
  return { pandoc.Div(blocks, pandoc.Attr("", { "bk-article" })) }
end

local function expand_div(el)
  if el.classes:includes("bk-table") then
    return make_table(attr_name(el))
  elseif el.classes:includes("bk-figure") then
    return make_figure(attr_name(el))
  elseif el.classes:includes("bk-list") then
    return make_list(el)
  elseif el.classes:includes("bk-tables") then
    return make_tables(el.attributes["prefix"] or fail("bk-tables needs a prefix attribute"))
  elseif el.classes:includes("bk-downloads") then
    return make_downloads()
  elseif el.classes:includes("bk-article") then
    return make_article(attr_name(el))
  elseif el.classes:includes("bk-toc") then
    if is_typst() then
      -- Page 1 is the summary, whole: the outline starts page 2.
      return { pandoc.RawBlock("typst", "#pagebreak(weak: true)\n#outline(depth: 1)") }
    elseif is_format("docx") then
      return { pandoc.RawBlock("openxml", WORD_TOC) }
    end
    -- HTML: the table of contents is add_frame's (toc: false in _quarto.yml).
    return {}
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

-- Page 1's blocks that typst lays out apart from the text: the summary (set tighter, to fit on
-- page 1), a box (the analyst's assessment) and two columns. In HTML a div that brief.css
-- draws; in typst a call of the static function of the same name in brief-typst.typ around
-- the div's content; in any other writer (Word) its content, plain. Runs after the expansion
-- pass, so the content is the expanded lists.
local LAYOUT_CLASSES = { "bk-summary", "bk-box", "bk-columns" }

local function make_layout(el)
  if el.classes:includes("bk-status") and not is_html() then
    -- The status line is the HTML page's banner; the PDF and Word give version, status and
    -- date in the title block (subtitle), and on every later page in the running header.
    return {}
  end
  local class = nil
  for _, c in ipairs(LAYOUT_CLASSES) do
    if el.classes:includes(c) then
      class = c
    end
  end
  if class == nil then
    return nil
  elseif is_html() then
    return el
  elseif is_typst() then
    local blocks = pandoc.Blocks({ pandoc.RawBlock("typst", "#" .. class .. "[") })
    blocks:extend(el.content)
    blocks:insert(pandoc.RawBlock("typst", "]"))
    return blocks
  end
  return el.content
end

-- Runs before the expansion pass, so that nothing inside a dropped block is looked up.
local function drop_optional(el)
  if el.classes:includes("bk-optional") and not present(brief[el.attributes["key"] or ""]) then
    return {}
  end
end

return {
  { Meta = set_meta },
  { Div = drop_optional },
  { Div = show_for_format },
  { Div = note_tables },
  { Div = note_article },
  { Div = expand_div, Span = expand_span },
  { Div = make_layout },
  { Pandoc = add_stamp },
  { Pandoc = add_frame },
}
