--[[
Emulates how Quarto parses its conditional blocks (`::: {.content-visible when-format="typst"}`,
`.content-hidden`), before the user filters run (quarto-cli v1.7.34
src/resources/filters/customnodes/content-hidden.lua, parsed in normalize/astpipeline.lua by
parse_extended_nodes): the classes and conditions are taken off, and a block that is not visible
is emptied at once (the handler's constructor: "if the block is not visible, clear out the
content before filters are run on document"). A block is visible when every format condition
matches (propertiesMatch; is_format as _format.lua: "html" covers html4/html5, otherwise the
writer must equal FORMAT). The user filters see a custom node, a Div marked __quarto_custom;
content_hidden_render.lua unwraps it after them, as Quarto's render_extended_nodes does.
]]
local function is_format(to)
  if to == "html" then
    return FORMAT:match("^html") ~= nil
  end
  return FORMAT == to
end

function Div(el)
  local visible = el.classes:includes("content-visible")
  if not visible and not el.classes:includes("content-hidden") then
    return nil
  end
  local when, unless = el.attributes["when-format"], el.attributes["unless-format"]
  local match = (when == nil or is_format(when)) and (unless == nil or not is_format(unless))
  local content = (visible == match) and el.content or {}
  local attrs = { { "__quarto_custom", "true" }, { "__quarto_custom_type", "ConditionalBlock" } }
  return pandoc.Div(content, pandoc.Attr("", {}, attrs))
end
