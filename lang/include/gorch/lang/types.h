// The Gorch type system: what a schema (lang/schemas/*.gorch) declares, after
// parsing and name resolution. The compiler's type checker walks a document
// (lang::Value) against these types; the planner derives field diffs from them.
//
// Ownership: a SchemaSet owns every Type and KindSchema it holds; pointers into it
// stay valid for the SchemaSet's lifetime. A loaded SchemaSet is immutable and
// safe to read from many threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/lang/diagnostic.h"
#include "gorch/lang/value.h"

namespace gorch::lang {

struct Expr;  // expression AST (gorch/lang/expr.h)

enum class TypeKind : unsigned char {
  kAny,       // any value (free-form)
  kBool,
  kInt,       // 64-bit integer; refinements min/max
  kFloat,     // any number (an integer is accepted)
  kString,    // refinements: pattern, format, min_len/max_len
  kQuantity,  // Kubernetes quantity: "100m", "64Mi", 2, "1.5"
  kDuration,  // "10s", "5m", "1h30m"
  kList,      // element; optional list_key; min_items/max_items
  kMap,       // key (a string type) -> element
  kRecord,    // fields; open = unknown fields allowed
  kEnum,      // one of enum_values (strings)
  kUnion,     // the first alternative that accepts the value wins (e.g. int | string)
  kRef,       // a string naming a resource of ref_kind in the same namespace
};

// Built-in string formats (refinement `format:`), as Kubernetes validates them.
enum class StringFormat : unsigned char {
  kNone,
  kDns1123Label,      // [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63
  kDns1123Subdomain,  // labels joined by '.', at most 253
  kLabelKey,          // [prefix/]name: qualified name
  kLabelValue,        // empty or ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], at most 63
  kIanaSvcName,       // port names: at most 15, [a-z0-9-], a letter, no "--"
  kPercent,           // "25%"
};

struct Refinement {
  std::optional<int64_t> min, max;            // kInt (inclusive)
  std::optional<std::string> pattern;         // kString: ECMAScript regex, whole match
  std::optional<uint32_t> min_len, max_len;   // kString: length in bytes
  std::optional<uint32_t> min_items, max_items;  // kList, kMap
  StringFormat format = StringFormat::kNone;  // kString
  // kRef: when this expression (over the enclosing record) is true the reference
  // may dangle, e.g. configMapKeyRef's `optional: true`.
  std::shared_ptr<const Expr> optional_if;
};

struct Type;

struct Field {
  std::string name;
  const Type* type = nullptr;
  bool required = false;
  // The default, evaluated over the enclosing record ("self") when the field is
  // absent; null when there is none. default_when, if set, must be true too.
  std::shared_ptr<const Expr> default_value;
  std::shared_ptr<const Expr> default_when;
  std::string doc;
  SourcePos pos;
};

// `where EXPR : "message"` on a record: checked after defaulting, over the record.
struct Constraint {
  std::shared_ptr<const Expr> expr;
  std::string message;
  SourcePos pos;
};

struct Type {
  TypeKind kind = TypeKind::kAny;
  std::string name;  // the declared name for named types ("Container"), else empty
  SourcePos pos;
  Refinement refine;
  const Type* element = nullptr;  // kList, kMap
  const Type* key = nullptr;      // kMap
  std::string list_key;           // kList: items are matched by this field ("name")
  std::vector<Field> fields;      // kRecord, in declaration order
  bool open = false;              // kRecord: `...` allows unknown fields
  std::vector<std::string> enum_values;     // kEnum
  std::vector<const Type*> alternatives;    // kUnion
  std::string ref_kind;                     // kRef
  std::vector<Constraint> constraints;      // kRecord
  // kRecord: field name -> index into fields, built by SchemaSet::Finalize for
  // records with many fields (FindField scans small records linearly).
  std::unordered_map<std::string_view, uint32_t> field_index;

  // The field named field_name, or null. O(1) for large records after Finalize.
  const Field* FindField(std::string_view field_name) const;
  // "integer(0..65535)", "list<Container>", "\"TCP\" | \"UDP\"", a type's name...
  std::string Describe() const;
};

// One kind at one apiVersion: `kind Deployment "apps/v1" { ... }`.
struct KindSchema {
  std::string kind;         // "Deployment"
  std::string api_version;  // "apps/v1" or "v1"
  bool namespaced = true;
  bool runs = true;  // false: gorch type-checks and keeps it but does not act on it
  // The record of top-level fields besides apiVersion, kind and metadata (those
  // three are implicit: metadata is the ObjectMeta type).
  const Type* body = nullptr;
  SourcePos pos;
};

class SchemaSet {
 public:
  SchemaSet();
  ~SchemaSet();
  SchemaSet(SchemaSet&&) noexcept;
  SchemaSet& operator=(SchemaSet&&) noexcept;

  // Parses one schema file's text and adds its declarations. Syntax and
  // resolution errors go to diags as file:line:col. Names are resolved by
  // Finalize(), so files may refer to each other in any order.
  void AddFile(std::string_view file_name, std::string_view text, Diagnostics& diags);
  // Resolves every named type; reports unknown or duplicate names. REQUIRES:
  // called once, after the last AddFile. Returns false if errors were reported
  // (by Finalize or by any AddFile before it): the set is then incomplete.
  bool Finalize(Diagnostics& diags);

  // The schema of a kind at an apiVersion, or null.
  const KindSchema* Find(std::string_view api_version, std::string_view kind) const;
  // Every apiVersion known for kind (to say "known versions: apps/v1").
  std::vector<const KindSchema*> FindAllVersions(std::string_view kind) const;
  // For a removed or deprecated apiVersion: the one to use instead, if declared
  // (`deprecated CronJob "batch/v1beta1" -> "batch/v1"`).
  std::optional<std::string> Replacement(std::string_view api_version, std::string_view kind) const;
  // A named type ("ObjectMeta", "Container"), or null.
  const Type* FindType(std::string_view name) const;
  std::vector<const KindSchema*> kinds() const;
  // Every named type, in declaration order (files in AddFile order).
  std::vector<const Type*> types() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Adds the core schemas of every kind, embedded in the binary at build time.
// Returns false (with diagnostics) only if the embedded text is broken.
// Only adds: call set.Finalize() after the last source of schemas.
bool LoadBuiltinSchemas(SchemaSet& set, Diagnostics& diags);
// Adds every *.gorch file under dir (a user's own kinds, as a CRD would).
// Only adds: call set.Finalize() after.
bool LoadSchemaDir(SchemaSet& set, const std::string& dir, Diagnostics& diags);

// Convenience: builtins, then each extra dir, then Finalize. Null on any error.
std::unique_ptr<SchemaSet> LoadSchemas(const std::vector<std::string>& extra_dirs,
                                       Diagnostics& diags);

}  // namespace gorch::lang
