#include <string>

#include "gorch/lang/formats.h"
#include "gorch/lang/types.h"

namespace gorch::lang {

const Field* Type::FindField(std::string_view field_name) const {
  if (!field_index.empty()) {
    auto it = field_index.find(field_name);
    return it == field_index.end() ? nullptr : &fields[it->second];
  }
  for (const Field& f : fields)
    if (f.name == field_name) return &f;
  return nullptr;
}

namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

// "(pattern: ..., maxLen: 63)" for string refinements, or "".
std::string DescribeStringRefinement(const Refinement& r) {
  std::string args;
  auto add = [&](std::string a) {
    if (!args.empty()) args += ", ";
    args += a;
  };
  if (r.format != StringFormat::kNone) add("format: " + std::string(FormatName(r.format)));
  if (r.pattern) add("pattern: " + Quote(*r.pattern));
  if (r.min_len) add("minLen: " + std::to_string(*r.min_len));
  if (r.max_len) add("maxLen: " + std::to_string(*r.max_len));
  return args.empty() ? "" : "(" + args + ")";
}

std::string DescribeItems(const Refinement& r) {
  std::string args;
  if (r.min_items) args += "minItems: " + std::to_string(*r.min_items);
  if (r.max_items) {
    if (!args.empty()) args += ", ";
    args += "maxItems: " + std::to_string(*r.max_items);
  }
  return args.empty() ? "" : "(" + args + ")";
}

std::string NameOrDescribe(const Type* t) { return t ? t->Describe() : "any"; }

}  // namespace

std::string Type::Describe() const {
  if (!name.empty()) return name;
  switch (kind) {
    case TypeKind::kAny: return "any";
    case TypeKind::kBool: return "bool";
    case TypeKind::kInt: {
      if (!refine.min && !refine.max) return "integer";
      std::string out = "integer(";
      if (refine.min) out += std::to_string(*refine.min);
      out += "..";
      if (refine.max) out += std::to_string(*refine.max);
      return out + ")";
    }
    case TypeKind::kFloat: return "number";
    case TypeKind::kString: return "string" + DescribeStringRefinement(refine);
    case TypeKind::kQuantity: return "quantity";
    case TypeKind::kDuration: return "duration";
    case TypeKind::kList: {
      std::string out = "list<" + NameOrDescribe(element) + ">" + DescribeItems(refine);
      if (!list_key.empty()) out += " keyed " + list_key;
      return out;
    }
    case TypeKind::kMap:
      return "map<" + NameOrDescribe(key) + ", " + NameOrDescribe(element) + ">" +
             DescribeItems(refine);
    case TypeKind::kRecord: return "record";
    case TypeKind::kEnum: {
      std::string out;
      for (const auto& v : enum_values) {
        if (!out.empty()) out += " | ";
        out += Quote(v);
      }
      return out;
    }
    case TypeKind::kUnion: {
      std::string out;
      for (const Type* t : alternatives) {
        if (!out.empty()) out += " | ";
        out += NameOrDescribe(t);
      }
      return out;
    }
    case TypeKind::kRef: return "ref<" + ref_kind + ">";
  }
  return "any";
}

}  // namespace gorch::lang
