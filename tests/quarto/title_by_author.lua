--[[
Emulates Quarto's title templates, which read only `by-author` (quarto-cli v1.7.34
src/resources/formats/html/templates/title-metadata.html `$for(by-author)$`, and
src/resources/formats/typst/pandoc/quarto/typst-show.typ `$for(by-author)$ ... it.name.literal`):
pandoc's own templates, which this fake uses, read `author`, so `author` becomes the names in
`by-author`, and nothing when there is none.
]]
function Meta(meta)
  local names = {}
  for i, a in ipairs(meta["by-author"] or {}) do
    names[i] = a.name.literal
  end
  meta.author = #names > 0 and names or nil
  return meta
end
