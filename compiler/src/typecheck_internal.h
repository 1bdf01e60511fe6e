// Internals of the type checker (typecheck.cc, typecheck_walk.cc,
// typecheck_suggest.cc). Not part of the compiler's public API.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gorch/compiler/typecheck.h"
#include "gorch/lang/diagnostic.h"
#include "gorch/lang/types.h"
#include "gorch/lang/value.h"

namespace gorch::compiler::typecheck_internal {

// Stable diagnostic codes (shown as error[CODE]).
inline constexpr std::string_view kUnknownField = "unknown-field";
inline constexpr std::string_view kTypeMismatch = "type-mismatch";
inline constexpr std::string_view kMissingField = "missing-field";
inline constexpr std::string_view kInvalidValue = "invalid-value";
inline constexpr std::string_view kUnknownKind = "unknown-kind";
inline constexpr std::string_view kUnknownApiVersion = "unknown-api-version";
inline constexpr std::string_view kDeprecatedApiVersion = "deprecated-api-version";
inline constexpr std::string_view kDuplicateKey = "duplicate-key";
inline constexpr std::string_view kConstraint = "constraint";

// One step of the path from the document's root to the value being checked. Steps
// live on the checker's stack and point at their parent, so a path costs nothing
// until a diagnostic needs its text (PathString).
struct PathStep {
  const PathStep* parent = nullptr;
  std::string_view name;  // a field or map key; empty for a list item
  bool is_item = false;   // a list item: index (and, for keyed lists, item/key)
  bool is_map_key = false;  // name is a key of a map<K, V> (shown as [key])
  size_t index = 0;
  const lang::Value* item = nullptr;  // the list item, to show its key
  std::string_view list_key;          // the keyed list's key field, or empty
};

// "spec.template.spec.containers[web].ports[0].containerPort"; "" for the root.
// A keyed list's item shows its key when the key is a string, else its index.
std::string PathString(const PathStep* step);

// The candidate closest to `word` by edit distance (optimal string alignment,
// case-insensitive matches first), if it is close enough to be a likely typo.
std::optional<std::string> Suggest(std::string_view word,
                                   const std::vector<std::string_view>& candidates);

// `integer 3`, `string "3"`, `bool true`, `null`, `list`, `map`: what a user wrote,
// for "expected X, got Y" (long strings are cut).
std::string DescribeValue(const lang::Value& v);

// Walks documents against types: checks, fills defaults, evaluates constraints and
// collects references. One Checker per document (or per union trial).
class Checker {
 public:
  Checker(const lang::SchemaSet& schemas, lang::Diagnostics& diags, std::vector<Reference>& refs)
      : schemas_(schemas), diags_(diags), refs_(refs) {}

  // Checks a whole manifest against its kind: the body's fields plus the implicit
  // apiVersion, kind (already checked by the caller) and metadata (ObjectMeta).
  void CheckObject(lang::Value& doc, const lang::KindSchema& schema);

  // Checks v against t (null: any), filling defaults inside v. enclosing is the
  // record holding v (for `optionalIf:` of references), or null.
  void CheckValue(lang::Value& v, const lang::Type* t, const PathStep& path,
                  const lang::Value* enclosing);

 private:
  void CheckRecord(lang::Value& v, const lang::Type& t, const PathStep& path, bool top_level);
  void CheckList(lang::Value& v, const lang::Type& t, const PathStep& path,
                 const lang::Value* enclosing);
  void CheckMap(lang::Value& v, const lang::Type& t, const PathStep& path,
                const lang::Value* enclosing);
  void CheckUnion(lang::Value& v, const lang::Type& t, const PathStep& path,
                  const lang::Value* enclosing);
  // Records a reference; its optionalIf is evaluated once the enclosing record's
  // defaults are filled (ResolvePendingOf).
  void CheckRef(const lang::Value& v, const lang::Type& t, const PathStep& path,
                const lang::Value* enclosing);
  struct PendingOptional {
    size_t ref_index;                 // into refs_
    const lang::Expr* optional_if;
    const lang::Value* enclosing;     // the record optionalIf reads
  };
  void ResolveOptional(const PendingOptional& pending);
  void ResolvePendingOf(const lang::Value& record);
  // Refinements of a string (value or map key): lengths, format, pattern.
  void CheckString(std::string_view s, const lang::Type& t, const PathStep& path,
                   const lang::SourcePos& pos);
  void CheckEnum(const lang::Value& v, const lang::Type& t, const PathStep& path);
  void CheckInt(lang::Value& v, const lang::Type& t, const PathStep& path);
  void CheckKeyedDuplicates(const lang::Value& list, const lang::Type& t, const PathStep& path);

  // Fills absent (or null) fields that have a default whose `when` holds, in
  // field order (each default sees those filled before it); reports absent
  // required fields. present[i]: whether field i of t is absent, written, or null.
  void FillDefaults(lang::Value& v, const lang::Type& t, const PathStep& path,
                    const unsigned char* present);
  void CheckConstraints(const lang::Value& v, const lang::Type& t, const PathStep& path);
  void UnknownField(std::string_view name, const lang::Value& v, const lang::Type& t,
                    const PathStep& path);
  void Mismatch(const lang::Value& v, const lang::Type& t, const PathStep& path);

  void Error(const lang::SourcePos& pos, std::string_view code, const PathStep* path,
             std::string_view message);

  const lang::SchemaSet& schemas_;
  lang::Diagnostics& diags_;
  std::vector<Reference>& refs_;
  std::vector<PendingOptional> pending_;
};

// True when a value of v's kind could be of type t at all (ignoring refinements):
// how a union picks the alternative whose errors to show.
bool KindFits(const lang::Value& v, const lang::Type* t);

// Marks v and everything inside it defaulted, at pos.
void MarkDefaulted(lang::Value& v, const lang::SourcePos& pos);

}  // namespace gorch::compiler::typecheck_internal
