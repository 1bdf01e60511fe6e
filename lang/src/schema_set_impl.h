// Internals of SchemaSet (SchemaSet::Impl) shared by the schema builder (parse tree -> types) and
// the resolver (Finalize). Not a public header.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "gorch/lang/types.h"

namespace gorch::lang::internal {

// Everything a SchemaSet holds (SchemaSet::Impl is this).
struct SchemaData {
  // A reference to a declared type by name, patched by Finalize: until then
  // fields, elements and alternatives point at a placeholder Type (kind kAny)
  // listed here.
  struct Unresolved {
    std::string name;
    SourcePos pos;
  };
  struct NamedType {
    Type* type = nullptr;  // the declared type, or a placeholder for an alias
    SourcePos pos;
  };
  struct Deprecation {
    std::string replacement;
    SourcePos pos;
  };
  // A check that needs resolved types, run by Finalize.
  struct PendingCheck {
    enum Kind { kListKey, kMapKey, kRefKind } kind;
    const Type* type;  // the list, map or ref type
    SourcePos pos;
  };

  SchemaData();

  // Creates a type owned by the set.
  Type* NewType(TypeKind kind, SourcePos pos = {});
  // A placeholder for `name`, resolved by Finalize.
  Type* NewReference(std::string name, SourcePos pos);
  // The unrefined builtin of that name ("int", "string", ...), or null.
  Type* Builtin(std::string_view name) const;

  std::vector<std::unique_ptr<Type>> owned;
  std::unordered_map<const Type*, Unresolved> unresolved;
  std::unordered_map<std::string, NamedType> named;
  std::vector<std::string> type_order;  // declared names, in declaration order
  std::vector<std::unique_ptr<KindSchema>> kinds;
  std::map<std::pair<std::string, std::string>, KindSchema*, std::less<>> kind_index;  // (apiVersion, kind)
  std::map<std::pair<std::string, std::string>, Deprecation, std::less<>> deprecated;
  std::vector<PendingCheck> checks;
  // Names of declarations dropped because of syntax errors: references to them
  // are not reported again as unknown.
  std::unordered_set<std::string> broken_names;
  bool had_syntax_errors = false;
  bool had_errors = false;  // any AddFile reported an error
  bool finalized = false;

  Type* any = nullptr;
  Type* boolean = nullptr;
  Type* integer = nullptr;
  Type* number = nullptr;
  Type* string = nullptr;
  Type* quantity = nullptr;
  Type* duration = nullptr;
};

// Parses one schema file into data (schema_builder.cc).
void ParseSchemaFile(SchemaData& data, std::string_view file_name, std::string_view text,
                     Diagnostics& diags);

}  // namespace gorch::lang::internal
