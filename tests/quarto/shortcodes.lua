--[[
Emulates Quarto's shortcode pass over what filters produced (quarto-cli v1.7.34
src/resources/filters/customnodes/shortcodes.lua, shortcodes_filter: code_handler on Code,
CodeBlock, RawBlock and RawInline text; attr_handler on the attributes of Div, Span, Header,
Image and Link; Image src and Link target). It runs after the user filters at pre-quarto
(main.lua: pre-shortcodes-filter is one of quarto_pre_filters). Only the `env` shortcode is
emulated (quarto-pre/shortcodes-handlers.lua handleEnv: an environment variable's value).
]]
local function expand(s)
  return (s:gsub("{{<%s*env%s+([%w_]+)%s*>}}", function(name)
    return os.getenv(name) or ""
  end))
end

local function code(el)
  el.text = expand(el.text)
  return el
end

local function attrs(el)
  for k, v in pairs(el.attributes) do
    el.attributes[k] = expand(v)
  end
  return el
end

return {
  {
    Code = code,
    CodeBlock = code,
    RawBlock = code,
    RawInline = code,
    Header = attrs,
    Div = attrs,
    Span = attrs,
    Image = function(el)
      el.src = expand(el.src)
      return attrs(el)
    end,
    Link = function(el)
      el.target = expand(el.target)
      return attrs(el)
    end,
  },
}
