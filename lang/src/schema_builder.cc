// Parse tree -> SchemaData: one Build* function per construct of the grammar.
// Names are not resolved here (Finalize does it), so files may come in any order.
#include <charconv>
#include <limits>

#include "antlr_driver.h"
#include "expr_builder.h"
#include "gorch/lang/formats.h"
#include "schema_set_impl.h"

namespace gorch::lang::internal {

namespace {

using P = gorch_antlr::GorchParser;

constexpr std::string_view kBuiltinNames[] = {"any",      "bool",     "int",  "float", "string",
                                              "quantity", "duration", "list", "map",   "ref"};

bool IsBuiltinName(std::string_view name) {
  for (auto n : kBuiltinNames)
    if (n == name) return true;
  return false;
}

// "v1", "apps/v1", "autoscaling/v2beta2", "example.com/v1alpha1".
bool ValidApiVersion(std::string_view v) {
  std::string_view version = v;
  if (size_t slash = v.find('/'); slash != std::string_view::npos) {
    if (!MatchesFormat(StringFormat::kDns1123Subdomain, v.substr(0, slash), nullptr)) return false;
    version = v.substr(slash + 1);
  }
  if (version.size() < 2 || version[0] != 'v') return false;
  size_t i = 1;
  while (i < version.size() && version[i] >= '0' && version[i] <= '9') ++i;
  if (i == 1) return false;
  if (i == version.size()) return true;
  std::string_view rest = version.substr(i);
  for (std::string_view stage : {"alpha", "beta"}) {
    if (rest.substr(0, stage.size()) == stage) {
      rest.remove_prefix(stage.size());
      if (rest.empty()) return false;
      for (char c : rest)
        if (c < '0' || c > '9') return false;
      return true;
    }
  }
  return false;
}

class SchemaBuilder {
 public:
  SchemaBuilder(SchemaData& data, ParseDriver& driver)
      : data_(data), driver_(driver), diags_(driver.diags()), exprs_(driver.pos(), diags_) {}

  // Builds the declarations of one parsed unit (a whole file or one piece).
  void BuildFile(ParseDriver::Unit& unit);

 private:
  struct Built {
    Type* type = nullptr;
    bool fresh = false;  // created by this type expression (may be named by a declaration)
  };

  void BuildTypeDecl(P::TypeDeclContext* ctx);
  void BuildKindDecl(P::KindDeclContext* ctx);
  void BuildDeprecated(P::DeprecatedDeclContext* ctx);
  Built BuildTypeExpr(P::TypeExprContext* ctx);
  Built BuildTerm(P::TypeTermContext* ctx);
  Built BuildNamed(P::NamedTermContext* ctx);
  Type* BuildGeneric(P::NamedTermContext* ctx, const std::string& name);
  Type* BuildRecord(P::RecordTypeContext* ctx);
  void BuildField(Type* record, P::FieldContext* ctx);
  void ApplyRefinement(Type* t, const std::string& type_name, P::RefinementContext* ctx);
  void ApplyNamedArg(Type* t, const std::string& type_name, P::NamedArgContext* arg);
  void BuildConstraints(Type* record, const std::vector<P::ConstraintContext*>& constraints);
  std::shared_ptr<const Expr> BuildExpr(P::ExprContext* ctx);
  bool Unquote(antlr4::tree::TerminalNode* node, std::string* out);

  SourcePos Pos(const antlr4::Token* t) const { return driver_.pos().At(t); }
  void Error(const antlr4::Token* at, std::string message) {
    diags_.Error(Pos(at), "schema", std::move(message));
  }

  SchemaData& data_;
  ParseDriver& driver_;
  Diagnostics& diags_;
  ExprBuilder exprs_;
  ParseDriver::Unit* unit_ = nullptr;
};

bool SchemaBuilder::Unquote(antlr4::tree::TerminalNode* node, std::string* out) {
  return node && UnquoteString(node->getSymbol(), driver_.pos(), diags_, out);
}

std::shared_ptr<const Expr> SchemaBuilder::BuildExpr(P::ExprContext* ctx) {
  return std::shared_ptr<const Expr>(exprs_.Build(ctx));
}

void SchemaBuilder::BuildFile(ParseDriver::Unit& unit) {
  auto* file = dynamic_cast<P::FileContext*>(unit.tree);
  if (!file) return;
  unit_ = &unit;
  for (auto* decl : file->decl()) {
    antlr4::Token* start = decl->getStart();
    antlr4::Token* stop = decl->getStop();
    size_t first = start ? start->getTokenIndex() : 0;
    size_t last = stop && stop->getTokenIndex() >= first ? stop->getTokenIndex() : first;
    // A declaration that had a syntax error is dropped (the error is reported);
    // remember its name so references to it do not pile up more errors.
    if (unit.HasErrorIn(first, last + 1)) {
      antlr4::tree::TerminalNode* name = nullptr;
      if (decl->typeDecl()) name = decl->typeDecl()->IDENT();
      if (decl->kindDecl()) name = decl->kindDecl()->IDENT();
      if (name) data_.broken_names.insert(name->getText());
      continue;
    }
    if (decl->typeDecl()) BuildTypeDecl(decl->typeDecl());
    else if (decl->kindDecl()) BuildKindDecl(decl->kindDecl());
    else if (decl->deprecatedDecl()) BuildDeprecated(decl->deprecatedDecl());
    else if (decl->policyDecl())
      Error(decl->getStart(), "policies belong in policy files (gorch lint --policy), not in schemas");
  }
}

void SchemaBuilder::BuildTypeDecl(P::TypeDeclContext* ctx) {
  if (!ctx->IDENT() || !ctx->typeExpr()) return;
  antlr4::Token* name_token = ctx->IDENT()->getSymbol();
  std::string name = name_token->getText();
  if (IsBuiltinName(name)) {
    Error(name_token, "'" + name + "' is a builtin type and cannot be declared");
    return;
  }
  if (auto it = data_.named.find(name); it != data_.named.end()) {
    Error(name_token,
          "duplicate type '" + name + "' (first declared at " + it->second.pos.ToString() + ")");
    return;
  }
  Built built = BuildTypeExpr(ctx->typeExpr());
  if (!built.type) return;
  if (built.fresh) {
    built.type->name = name;
    built.type->pos = Pos(name_token);
  }
  if (!ctx->constraint().empty()) {
    if (built.fresh && built.type->kind == TypeKind::kRecord) {
      BuildConstraints(built.type, ctx->constraint());
    } else {
      Error(ctx->constraint()[0]->getStart(),
            "'where' constraints apply to records; '" + name + "' is not a record literal");
    }
  }
  data_.named[name] = {built.type, Pos(name_token)};
  data_.type_order.push_back(name);
}

void SchemaBuilder::BuildKindDecl(P::KindDeclContext* ctx) {
  if (!ctx->IDENT() || !ctx->STRING() || !ctx->recordType()) return;
  auto kind = std::make_unique<KindSchema>();
  antlr4::Token* name_token = ctx->IDENT()->getSymbol();
  kind->kind = name_token->getText();
  kind->pos = Pos(name_token);
  if (!Unquote(ctx->STRING(), &kind->api_version)) return;
  if (!ValidApiVersion(kind->api_version)) {
    Error(ctx->STRING()->getSymbol(), "invalid apiVersion \"" + kind->api_version +
                                          "\" (expected \"v1\" or \"group/v1\")");
  }
  bool seen_cluster = false, seen_passive = false;
  for (auto* mod : ctx->kindModifier()) {
    bool& seen = mod->KW_CLUSTER() ? seen_cluster : seen_passive;
    if (seen) Error(mod->getStart(), "duplicate modifier '" + mod->getText() + "'");
    seen = true;
  }
  kind->namespaced = !seen_cluster;
  kind->runs = !seen_passive;
  Type* body = BuildRecord(ctx->recordType());
  body->name = kind->kind;
  for (const char* implicit : {"apiVersion", "kind", "metadata"}) {
    if (const Field* f = body->FindField(implicit)) {
      diags_.Error(f->pos, "schema",
                   std::string("field '") + implicit +
                       "' is implicit in every kind and cannot be declared");
    }
  }
  BuildConstraints(body, ctx->constraint());
  kind->body = body;
  auto key = std::make_pair(kind->api_version, kind->kind);
  if (auto it = data_.kind_index.find(key); it != data_.kind_index.end()) {
    Error(name_token, "duplicate kind " + kind->kind + " \"" + kind->api_version +
                          "\" (first declared at " + it->second->pos.ToString() + ")");
    return;
  }
  data_.kind_index[key] = kind.get();
  data_.kinds.push_back(std::move(kind));
}

void SchemaBuilder::BuildDeprecated(P::DeprecatedDeclContext* ctx) {
  auto strings = ctx->STRING();
  if (!ctx->IDENT() || strings.size() != 2) return;
  std::string kind = ctx->IDENT()->getText();
  std::string from, to;
  if (!Unquote(strings[0], &from) || !Unquote(strings[1], &to)) return;
  antlr4::Token* at = ctx->IDENT()->getSymbol();
  if (from == to) {
    Error(strings[1]->getSymbol(), "a deprecated apiVersion cannot be its own replacement");
    return;
  }
  auto key = std::make_pair(from, kind);
  if (auto it = data_.deprecated.find(key); it != data_.deprecated.end()) {
    Error(at, "duplicate deprecation of " + kind + " \"" + from + "\" (first declared at " +
                  it->second.pos.ToString() + ")");
    return;
  }
  data_.deprecated[key] = {to, Pos(at)};
}

void SchemaBuilder::BuildConstraints(Type* record,
                                     const std::vector<P::ConstraintContext*>& constraints) {
  for (auto* c : constraints) {
    Constraint built;
    built.pos = Pos(c->getStart());
    built.expr = BuildExpr(c->expr());
    if (!Unquote(c->STRING(), &built.message) || !built.expr) continue;
    record->constraints.push_back(std::move(built));
  }
}

SchemaBuilder::Built SchemaBuilder::BuildTypeExpr(P::TypeExprContext* ctx) {
  auto terms = ctx ? ctx->typeTerm() : std::vector<P::TypeTermContext*>{};
  if (terms.empty()) return {data_.any, false};
  if (terms.size() == 1) return BuildTerm(terms[0]);
  // String literals make an enum; with other alternatives, a union in which each
  // run of string literals is one enum alternative.
  Type* alternatives = data_.NewType(TypeKind::kUnion, Pos(ctx->getStart()));
  Type* pending_enum = nullptr;
  for (auto* term : terms) {
    if (auto* e = dynamic_cast<P::EnumTermContext*>(term)) {
      std::string value;
      if (!Unquote(e->STRING(), &value)) continue;
      if (!pending_enum) {
        pending_enum = data_.NewType(TypeKind::kEnum, Pos(term->getStart()));
        alternatives->alternatives.push_back(pending_enum);
      }
      for (const auto& v : pending_enum->enum_values)
        if (v == value) Error(term->getStart(), "duplicate enum value \"" + value + "\"");
      pending_enum->enum_values.push_back(std::move(value));
      continue;
    }
    pending_enum = nullptr;
    Built alt = BuildTerm(term);
    if (alt.type) alternatives->alternatives.push_back(alt.type);
  }
  if (alternatives->alternatives.size() == 1 &&
      alternatives->alternatives[0]->kind == TypeKind::kEnum) {
    return {const_cast<Type*>(alternatives->alternatives[0]), true};
  }
  return {alternatives, true};
}

SchemaBuilder::Built SchemaBuilder::BuildTerm(P::TypeTermContext* ctx) {
  if (auto* record = dynamic_cast<P::RecordTermContext*>(ctx))
    return {BuildRecord(record->recordType()), true};
  if (auto* named = dynamic_cast<P::NamedTermContext*>(ctx)) return BuildNamed(named);
  if (auto* paren = dynamic_cast<P::ParenTermContext*>(ctx)) return BuildTypeExpr(paren->typeExpr());
  if (auto* e = dynamic_cast<P::EnumTermContext*>(ctx)) {
    Type* t = data_.NewType(TypeKind::kEnum, Pos(ctx->getStart()));
    std::string value;
    if (Unquote(e->STRING(), &value)) t->enum_values.push_back(std::move(value));
    return {t, true};
  }
  return {data_.any, false};  // only after a syntax error, which is reported
}

SchemaBuilder::Built SchemaBuilder::BuildNamed(P::NamedTermContext* ctx) {
  if (!ctx->IDENT()) return {data_.any, false};
  antlr4::Token* name_token = ctx->IDENT()->getSymbol();
  std::string name = name_token->getText();
  Built built;
  if (name == "list" || name == "map" || name == "ref") {
    built = {BuildGeneric(ctx, name), true};
  } else {
    if (ctx->typeArgs()) Error(name_token, "type '" + name + "' takes no type arguments");
    if (Type* builtin = data_.Builtin(name)) {
      built = {builtin, false};
      if (ctx->refinement()) {
        Type* refined = data_.NewType(builtin->kind, Pos(name_token));
        built = {refined, true};
      }
    } else {
      if (ctx->refinement()) {
        Error(ctx->refinement()->getStart(),
              "refinements apply to builtin types (int, string, list...); '" + name +
                  "' is a declared type");
      }
      built = {data_.NewReference(name, Pos(name_token)), false};
    }
  }
  if (ctx->refinement() && built.fresh) ApplyRefinement(built.type, name, ctx->refinement());
  if (ctx->KW_KEYED()) {
    std::string key;
    if (built.type->kind != TypeKind::kList || !built.fresh) {
      Error(ctx->KW_KEYED()->getSymbol(), "'keyed' applies only to list<T>");
    } else if (exprs_.FieldNameText(ctx->fieldName(), &key)) {
      built.type->list_key = std::move(key);
      data_.checks.push_back({SchemaData::PendingCheck::kListKey, built.type,
                              Pos(ctx->fieldName()->getStart())});
    }
  }
  return built;
}

Type* SchemaBuilder::BuildGeneric(P::NamedTermContext* ctx, const std::string& name) {
  antlr4::Token* at = ctx->IDENT()->getSymbol();
  auto args = ctx->typeArgs() ? ctx->typeArgs()->typeExpr() : std::vector<P::TypeExprContext*>{};
  size_t want = name == "map" ? 2 : 1;
  if (args.size() != want) {
    std::string form = name == "map" ? "map<K, V>" : name == "list" ? "list<T>" : "ref<Kind>";
    Error(at, "'" + name + "' needs " + std::to_string(want) + " type argument" +
                  (want == 1 ? "" : "s") + ": " + form);
  }
  if (name == "ref") {
    Type* t = data_.NewType(TypeKind::kRef, Pos(at));
    auto terms = args.empty() ? std::vector<P::TypeTermContext*>{} : args[0]->typeTerm();
    auto* kind = terms.size() == 1 ? dynamic_cast<P::NamedTermContext*>(terms[0]) : nullptr;
    if (!args.empty() && (!kind || kind->typeArgs() || kind->refinement() || kind->KW_KEYED())) {
      Error(args[0]->getStart(), "ref<...> takes the name of a kind, like ref<ConfigMap>");
    } else if (kind && kind->IDENT()) {
      t->ref_kind = kind->IDENT()->getText();
      data_.checks.push_back({SchemaData::PendingCheck::kRefKind, t, Pos(kind->getStart())});
    }
    return t;
  }
  Type* t = data_.NewType(name == "list" ? TypeKind::kList : TypeKind::kMap, Pos(at));
  if (name == "list") {
    t->element = args.empty() ? data_.any : BuildTypeExpr(args[0]).type;
  } else {
    t->key = args.size() >= 1 ? BuildTypeExpr(args[0]).type : data_.string;
    t->element = args.size() >= 2 ? BuildTypeExpr(args[1]).type : data_.any;
    if (args.size() >= 1)
      data_.checks.push_back({SchemaData::PendingCheck::kMapKey, t, Pos(args[0]->getStart())});
  }
  return t;
}

namespace {

std::optional<int64_t> RangeBound(P::RangeBoundContext* ctx) {
  if (!ctx || !ctx->INT()) return std::nullopt;
  std::string text = ctx->getText();  // "-5" or "5"
  int64_t v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

void SchemaBuilder::ApplyRefinement(Type* t, const std::string& type_name,
                                    P::RefinementContext* ctx) {
  for (auto* arg : ctx->refineArg()) {
    if (auto* named = dynamic_cast<P::NamedArgContext*>(arg)) {
      ApplyNamedArg(t, type_name, named);
      continue;
    }
    auto* range = dynamic_cast<P::RangeArgContext*>(arg);
    if (!range) continue;
    if (t->kind != TypeKind::kInt) {
      Error(arg->getStart(), "a range (MIN..MAX) applies only to int");
      continue;
    }
    if (t->refine.min || t->refine.max) Error(arg->getStart(), "duplicate range");
    if (range->lo) {
      t->refine.min = RangeBound(range->lo);
      if (!t->refine.min) Error(range->lo->getStart(), "range bound out of range");
    }
    if (range->hi) {
      t->refine.max = RangeBound(range->hi);
      if (!t->refine.max) Error(range->hi->getStart(), "range bound out of range");
    }
    if (!range->lo && !range->hi) Error(arg->getStart(), "a range needs a bound: MIN.., ..MAX or MIN..MAX");
  }
  const Refinement& r = t->refine;
  if (r.min && r.max && *r.min > *r.max)
    Error(ctx->getStart(), "empty range: minimum " + std::to_string(*r.min) + " > maximum " +
                               std::to_string(*r.max));
  if (r.min_len && r.max_len && *r.min_len > *r.max_len)
    Error(ctx->getStart(), "minLen is greater than maxLen");
  if (r.min_items && r.max_items && *r.min_items > *r.max_items)
    Error(ctx->getStart(), "minItems is greater than maxItems");
}

void SchemaBuilder::ApplyNamedArg(Type* t, const std::string& type_name, P::NamedArgContext* arg) {
  if (!arg->ident()) return;
  antlr4::Token* at = arg->ident()->getStart();
  std::string key = arg->ident()->getText();
  std::shared_ptr<const Expr> value = BuildExpr(arg->expr());
  if (!value) return;
  Refinement& r = t->refine;
  auto int_arg = [&](int64_t lo, int64_t hi) -> std::optional<int64_t> {
    if (value->kind != ExprKind::kLiteral || !value->value.is_int() || value->value.as_int() < lo ||
        value->value.as_int() > hi) {
      Error(at, key + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
      return std::nullopt;
    }
    return value->value.as_int();
  };
  auto set_once = [&](auto& slot, auto v) {
    if (slot) Error(at, "duplicate refinement '" + key + "'");
    if (v) slot = *v;
  };
  constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
  constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
  constexpr int64_t kU32Max = std::numeric_limits<uint32_t>::max();
  switch (t->kind) {
    case TypeKind::kInt:
      if (key == "min") return set_once(r.min, int_arg(kI64Min, kI64Max));
      if (key == "max") return set_once(r.max, int_arg(kI64Min, kI64Max));
      break;
    case TypeKind::kString:
      if (key == "minLen") return set_once(r.min_len, int_arg(0, kU32Max));
      if (key == "maxLen") return set_once(r.max_len, int_arg(0, kU32Max));
      if (key == "pattern") {
        if (value->kind != ExprKind::kLiteral || !value->value.is_string())
          return Error(at, "pattern must be a string literal");
        std::string why;
        if (!ValidPattern(value->value.as_string(), &why)) return Error(at, why);
        return set_once(r.pattern, std::optional<std::string>(value->value.as_string()));
      }
      if (key == "format") {
        std::string name = value->kind == ExprKind::kIdent ? value->name
                           : value->value.is_string()      ? value->value.as_string()
                                                           : "";
        auto format = ParseFormatName(name);
        if (!format) {
          return Error(at, "unknown format '" + name +
                               "' (known: dns1123label, dns1123subdomain, labelKey, labelValue, "
                               "ianaSvcName, percent)");
        }
        if (r.format != StringFormat::kNone) Error(at, "duplicate refinement 'format'");
        r.format = *format;
        return;
      }
      break;
    case TypeKind::kList:
    case TypeKind::kMap:
      if (key == "minItems") return set_once(r.min_items, int_arg(0, kU32Max));
      if (key == "maxItems") return set_once(r.max_items, int_arg(0, kU32Max));
      break;
    case TypeKind::kRef:
      if (key == "optionalIf") {
        if (r.optional_if) Error(at, "duplicate refinement 'optionalIf'");
        r.optional_if = value;
        return;
      }
      break;
    default: break;
  }
  static const std::pair<TypeKind, std::string_view> kKnown[] = {
      {TypeKind::kInt, "MIN..MAX, min, max"},
      {TypeKind::kString, "pattern, minLen, maxLen, format"},
      {TypeKind::kList, "minItems, maxItems"},
      {TypeKind::kMap, "minItems, maxItems"},
      {TypeKind::kRef, "optionalIf"},
  };
  for (const auto& [kind, known] : kKnown) {
    if (kind == t->kind)
      return Error(at, "unknown refinement '" + key + "' for " + type_name + " (expected " +
                           std::string(known) + ")");
  }
  Error(at, "'" + type_name + "' takes no refinements");
}

Type* SchemaBuilder::BuildRecord(P::RecordTypeContext* ctx) {
  Type* record = data_.NewType(TypeKind::kRecord, Pos(ctx->getStart()));
  auto members = ctx->member();
  for (size_t i = 0; i < members.size(); ++i) {
    auto* member = members[i];
    if (member->ELLIPSIS()) {
      if (i + 1 != members.size())
        Error(member->getStart(), "'...' must be the last member of a record");
      record->open = true;
    } else if (member->field()) {
      BuildField(record, member->field());
    }
  }
  return record;
}

void SchemaBuilder::BuildField(Type* record, P::FieldContext* ctx) {
  Field field;
  if (!exprs_.FieldNameText(ctx->fieldName(), &field.name)) return;
  antlr4::Token* name_token = ctx->fieldName()->getStart();
  field.pos = Pos(name_token);
  field.required = ctx->optional == nullptr;
  field.doc = driver_.DocBefore(*unit_, name_token);
  field.type = BuildTypeExpr(ctx->typeExpr()).type;
  if (ctx->dflt) {
    field.default_value = BuildExpr(ctx->dflt);
    if (field.required) {
      Error(ctx->dflt->getStart(), "required field '" + field.name +
                                       "' cannot have a default (write '" + field.name + "?:')");
    }
  }
  if (ctx->cond) field.default_when = BuildExpr(ctx->cond);
  for (const Field& f : record->fields) {
    if (f.name == field.name) {
      Error(name_token, "duplicate field '" + field.name + "' (first declared at " +
                            f.pos.ToString() + ")");
      return;
    }
  }
  record->fields.push_back(std::move(field));
}

}  // namespace

void ParseSchemaFile(SchemaData& data, std::string_view file_name, std::string_view text,
                     Diagnostics& diags) {
  const char* file = InternFileName(file_name);
  if (text.size() > kMaxSchemaFileBytes) {
    diags.Error({file, 0, 0}, "schema", "schema file is too large (over 8 MiB)");
    return;
  }
  std::lock_guard<std::mutex> lock(ParseDriver::Mutex());
  try {
    ParseDriver driver(text, PosMap(file, {file, 1, 1}), diags);
    auto rule = [](P& p) -> antlr4::ParserRuleContext* { return p.file(); };
    if (!driver.Parse(rule, /*split_declarations=*/true)) {
      data.had_syntax_errors = true;
      return;
    }
    if (driver.syntax_errors() > 0) data.had_syntax_errors = true;
    SchemaBuilder builder(data, driver);
    for (auto& unit : driver.units()) builder.BuildFile(unit);
  } catch (const std::exception& e) {
    diags.Error({file, 0, 0}, "internal", std::string("internal parser error: ") + e.what());
  }
}

}  // namespace gorch::lang::internal
