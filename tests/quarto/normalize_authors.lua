--[[
Emulates Quarto's author normalisation, which runs before any user filter: `by-author` is built
from the document's `author` (quarto-cli v1.7.34 src/resources/filters/normalize/normalize.lua
calls modules/authors.lua processAuthorMeta; main.lua runs quarto_normalize_filters before the
pre-quarto entry point where user filters go by default, src/command/render/filters.ts).
]]
function Meta(meta)
  if meta.author == nil then
    return nil
  end
  local authors = meta.author
  if pandoc.utils.type(authors) ~= "List" then
    authors = { authors }
  end
  local by = {}
  for i, a in ipairs(authors) do
    by[i] = { name = { literal = a } }
  end
  meta["by-author"] = by
  return meta
end
