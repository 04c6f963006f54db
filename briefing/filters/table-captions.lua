--[[
table-captions.lua: keeps the brief's tables captioned in typst under Quarto.

Quarto's typst post-processing adds the class `typst:no-figure` to every Table
(quarto-cli src/resources/filters/quarto-post/typst.lua, render_typst_fixups; so in 1.6, 1.7 and
1.8), and pandoc's typst writer then writes a bare `#table(...)`: no figure, so no caption, no
label, and none of brief-typst.typ's figure rules (caption on top, tables breaking across pages)
apply (quarto-cli issue #11733). _quarto.yml runs this filter `at: post-render`, after those
fixups (quarto-cli src/resources/filters/main.lua: the post-render entry point follows the
post filters), and it takes the class off the brief's own tables (.bk-table), which
briefkit.lua made and captioned. Under the embedded pandoc engine no table has the class and
nothing changes.
]]

function Table(tbl)
  if tbl.classes:includes("bk-table") and tbl.classes:includes("typst:no-figure") then
    tbl.classes = tbl.classes:filter(function(c)
      return c ~= "typst:no-figure"
    end)
    return tbl
  end
end
