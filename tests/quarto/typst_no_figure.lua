--[[
Emulates Quarto's typst table rule: every Table gets the class `typst:no-figure`, so pandoc's typst
writer writes a bare #table without its figure, caption and label (quarto-cli v1.7.34
src/resources/filters/quarto-post/typst.lua, render_typst_fixups: `Table = function(tbl)
tbl.classes:insert("typst:no-figure")`, issue #10438; the same in v1.6.40 and v1.8.27). It runs
after the user filters at pre-quarto and before those at post-render (main.lua).
]]
if FORMAT ~= "typst" then
  return {}
end

function Table(tbl)
  tbl.classes:insert("typst:no-figure")
  return tbl
end
