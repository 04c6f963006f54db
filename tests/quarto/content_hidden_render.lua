--[[
Emulates Quarto's rendering of its conditional blocks after the user filters at pre-quarto
(quarto-cli v1.7.34 main.lua, "post-render_extended_nodes"; customnodes/content-hidden.lua,
render: a visible block becomes its content, a hidden one nothing). See content_hidden.lua.
]]
function Div(el)
  if el.attributes["__quarto_custom_type"] == "ConditionalBlock" then
    return el.content
  end
end
