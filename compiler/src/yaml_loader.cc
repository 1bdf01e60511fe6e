// YAML (and JSON) → lang::Value, through yaml-cpp's event parser.
//
// We do not use YAML::Load: its node graph is an extra copy of the document and
// it materialises aliases as shared nodes whose expansion we could not bound.
// Instead a YAML::EventHandler builds Values directly, which lets us
//   - stop at max_depth before yaml-cpp recurses any deeper (its parser is
//     recursive; each nesting event reaches us before the recursion),
//   - count the nodes every alias expansion produces and stop at
//     max_alias_nodes before allocating them ("billion laughs"),
//   - see each scalar's tag ("?" plain, "!" quoted/block, or an explicit tag)
//     and resolve it the way Kubernetes (go-yaml v2) does.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <istream>
#include <memory>
#include <optional>
#include <streambuf>
#include <unordered_map>

#include "gorch/compiler/loader.h"
#include "loader_internal.h"
#include "yaml_loader_scalar.h"

namespace gorch::compiler {

namespace {

using lang::SourcePos;
using lang::Value;

// Raised inside the event handler to abandon the file; caught in ParseYaml.
struct LoadError {
  SourcePos pos;
  const char* code;
  std::string message;
};

// A read-only streambuf over memory, so yaml-cpp reads the text in place.
class MemoryBuf : public std::streambuf {
 public:
  explicit MemoryBuf(std::string_view text) {
    char* p = const_cast<char*>(text.data());  // never written: no overflow/putback
    setg(p, p, p + text.size());
  }
};

class ValueBuilder final : public YAML::EventHandler {
 public:
  ValueBuilder(const char* file, const LoadOptions& options, lang::Diagnostics& diags)
      : file_(file), options_(options), diags_(diags) {}

  // The document finished by the last HandleNextDocument; null if it was empty.
  Value TakeDocument() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark& mark) override {
    anchors_.clear();  // yaml-cpp numbers anchors per document
    root_ = Value();
    document_mark_ = mark;
  }
  // Where the last document started; yaml-cpp 0.7 can return the same empty
  // document forever without consuming input (e.g. on a leading ',').
  const YAML::Mark& document_mark() const { return document_mark_; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override;
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    Open(Value::MakeList({}, Pos(mark)), anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    Open(Value::MakeMap({}, Pos(mark)), anchor);
  }
  void OnMapEnd() override { Close(); }
  void OnAnchor(const YAML::Mark&, const std::string& name) override { last_anchor_name_ = name; }

 private:
  // A list or map being filled.
  struct Frame {
    Value value;
    uint64_t nodes = 1;  // nodes in this subtree so far (for alias accounting)
    uint64_t bytes = 0;  // string and key bytes in this subtree so far
    YAML::anchor_t anchor = 0;
    // Maps only: the key read and waiting for its value.
    bool has_key = false;
    bool key_is_merge = false;
    std::string key;
    SourcePos key_pos;
    // Large maps index their keys for the duplicate check; small ones scan.
    std::unique_ptr<std::unordered_map<std::string, size_t>> index;
    // Entries that came from a merge key (<<): an explicit key may replace them.
    std::vector<bool> merged;
  };
  struct Anchor {
    std::string name;
    bool complete = false;
    Value value;
    uint64_t nodes = 0;
    uint64_t bytes = 0;
    std::string key_text;  // a scalar's text, for an alias used as a key
  };

  SourcePos Pos(const YAML::Mark& m) const {
    return {file_, static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
  }
  bool ExpectingKey() const {
    return !stack_.empty() && stack_.back().value.is_map() && !stack_.back().has_key;
  }
  Anchor& AnchorSlot(YAML::anchor_t id) {
    if (anchors_.size() <= id) anchors_.resize(id + 1);
    return anchors_[id];
  }
  void Open(Value container, YAML::anchor_t anchor);
  void Close();
  void SetKey(std::string key, SourcePos pos, bool is_merge);
  void Emit(Value v, uint64_t nodes, uint64_t bytes, YAML::anchor_t anchor, std::string key_text = "");
  void Insert(Frame& map, std::string key, SourcePos key_pos, Value v);
  void Merge(Frame& map, Value&& from, SourcePos pos);
  std::optional<size_t> FindKey(const Frame& map, const std::string& key) const;

  const char* file_;
  const LoadOptions& options_;
  lang::Diagnostics& diags_;
  std::vector<Frame> stack_;
  std::vector<Anchor> anchors_;
  std::string last_anchor_name_;
  uint64_t alias_nodes_ = 0;  // across the file's documents
  uint64_t alias_bytes_ = 0;
  Value root_;
  YAML::Mark document_mark_;
};

void ValueBuilder::OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) {
  if (ExpectingKey()) throw LoadError{Pos(mark), internal::kCodeYamlKey, "empty map key"};
  Emit(Value::Null(Pos(mark)), 1, 0, anchor);
}

void ValueBuilder::OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                            const std::string& text) {
  SourcePos pos = Pos(mark);
  if (ExpectingKey()) {
    // Keys keep their text. Kubernetes would turn a plain yes/no/on/off key into
    // "true"/"false"; that surprises everyone, so we keep the text and warn.
    const bool plain = tag == "?";
    if (plain) {
      Value resolved = internal::ResolvePlainScalar(text, pos);
      if (resolved.is_bool())
        diags_.Warning(pos, internal::kCodeBoolKey,
                       "key '" + text + "' is read as '" + (resolved.as_bool() ? "true" : "false") +
                           "' by kubectl; quote it to keep it a string");
    }
    if (anchor) {
      Anchor& a = AnchorSlot(anchor);
      a = {last_anchor_name_, true, Value::String(text, pos), 1, text.size(), text};
    }
    stack_.back().bytes += text.size();
    SetKey(text, pos, plain && text == "<<");
    return;
  }
  std::string error;
  Value v = internal::ResolveScalar(tag, text, pos, error);
  if (!error.empty()) throw LoadError{pos, internal::kCodeYamlTag, std::move(error)};
  Emit(std::move(v), 1, text.size(), anchor, text);
}

void ValueBuilder::OnAlias(const YAML::Mark& mark, YAML::anchor_t id) {
  SourcePos pos = Pos(mark);
  if (id >= anchors_.size() || !anchors_[id].complete)
    throw LoadError{pos, internal::kCodeYamlSyntax, "alias refers to a node that contains it (a recursive alias)"};
  const Anchor& a = anchors_[id];
  if (ExpectingKey()) {
    if (!a.value.is_string() && a.key_text.empty())
      throw LoadError{pos, internal::kCodeYamlKey, "map keys must be scalars; alias *" + a.name + " is a " +
                                                       std::string(a.value.KindName())};
    SetKey(a.key_text.empty() ? a.value.as_string() : a.key_text, pos, false);
    return;
  }
  alias_nodes_ += a.nodes;
  alias_bytes_ += a.bytes;
  if (alias_nodes_ > options_.max_alias_nodes)
    throw LoadError{pos, internal::kCodeAliasLimit,
                    "aliases expand to more than " + std::to_string(options_.max_alias_nodes) +
                        " nodes (max_alias_nodes); refusing a document that grows exponentially (\"billion laughs\")"};
  // Few nodes can still be many bytes (a long string aliased a million times).
  const uint64_t max_bytes = uint64_t{4} * options_.max_file_bytes;
  if (alias_bytes_ > max_bytes)
    throw LoadError{pos, internal::kCodeAliasLimit,
                    "aliases expand to more than " + std::to_string(max_bytes) +
                        " bytes of text (4 x max_file_bytes); refusing a document that grows this much"};
  Emit(Value(a.value), a.nodes, a.bytes, 0, a.key_text);
}

void ValueBuilder::Open(Value container, YAML::anchor_t anchor) {
  if (stack_.size() >= options_.max_depth)
    throw LoadError{container.pos(), internal::kCodeMaxDepth,
                    "nesting deeper than " + std::to_string(options_.max_depth) + " levels (max_depth)"};
  if (anchor) {
    Anchor& a = AnchorSlot(anchor);
    a = Anchor{};
    a.name = last_anchor_name_;
  }
  Frame& f = stack_.emplace_back();
  f.value = std::move(container);
  f.anchor = anchor;
}

void ValueBuilder::Close() {
  Frame f = std::move(stack_.back());
  stack_.pop_back();
  if (f.has_key) throw LoadError{f.key_pos, internal::kCodeYamlSyntax, "map key without a value"};
  Emit(std::move(f.value), f.nodes, f.bytes, f.anchor);
}

void ValueBuilder::SetKey(std::string key, SourcePos pos, bool is_merge) {
  Frame& f = stack_.back();
  f.has_key = true;
  f.key = std::move(key);
  f.key_pos = pos;
  f.key_is_merge = is_merge;
}

void ValueBuilder::Emit(Value v, uint64_t nodes, uint64_t bytes, YAML::anchor_t anchor, std::string key_text) {
  if (anchor) {
    Anchor& a = AnchorSlot(anchor);
    if (a.name.empty()) a.name = last_anchor_name_;
    a.complete = true;
    a.value = v;  // a copy: anchors are rare, aliases copy from here
    a.nodes = nodes;
    a.bytes = bytes;
    a.key_text = v.is_list() || v.is_map() ? "" : std::move(key_text);
  }
  if (stack_.empty()) {
    root_ = std::move(v);
    return;
  }
  Frame& top = stack_.back();
  top.nodes += nodes;
  top.bytes += bytes;
  if (top.value.is_list()) {
    top.value.as_list().push_back(std::move(v));
    return;
  }
  if (!top.has_key)  // a list or map as a key (scalar keys do not come here); checked
                     // on close, since an unclosed "[[[[..." reaches us as nested keys
    throw LoadError{v.pos(), internal::kCodeYamlKey, "map keys must be scalars, not a " + std::string(v.KindName())};
  top.has_key = false;
  if (top.key_is_merge) {
    Merge(top, std::move(v), top.key_pos);
    return;
  }
  Insert(top, std::move(top.key), top.key_pos, std::move(v));
}

std::optional<size_t> ValueBuilder::FindKey(const Frame& map, const std::string& key) const {
  if (map.index) {
    auto it = map.index->find(key);
    if (it == map.index->end()) return std::nullopt;
    return it->second;
  }
  const Value::Map& m = map.value.as_map();
  for (size_t i = 0; i < m.size(); ++i)
    if (m[i].first == key) return i;
  return std::nullopt;
}

void ValueBuilder::Insert(Frame& map, std::string key, SourcePos key_pos, Value v) {
  constexpr size_t kIndexFrom = 16;
  Value::Map& m = map.value.as_map();
  if (std::optional<size_t> at = FindKey(map, key)) {
    if (*at < map.merged.size() && map.merged[*at]) {  // an explicit key wins over a merged one
      m[*at].second = std::move(v);
      map.merged[*at] = false;
      return;
    }
    throw LoadError{key_pos, internal::kCodeDuplicateKey,
                    "duplicate key '" + key + "' (first at line " + std::to_string(m[*at].second.pos().line) + ")"};
  }
  if (map.index) {
    map.index->emplace(key, m.size());
  } else if (m.size() + 1 >= kIndexFrom) {
    map.index = std::make_unique<std::unordered_map<std::string, size_t>>();
    for (size_t i = 0; i < m.size(); ++i) map.index->emplace(m[i].first, i);
    map.index->emplace(key, m.size());
  }
  m.emplace_back(std::move(key), std::move(v));
}

// `<<: *base` or `<<: [*a, *b]`: copies the keys the map does not have yet.
void ValueBuilder::Merge(Frame& map, Value&& from, SourcePos pos) {
  auto merge_one = [&](Value&& src) {
    if (!src.is_map())
      throw LoadError{src.pos(), internal::kCodeYamlMerge,
                      "a merge key (<<) takes a map or a list of maps, not a " + std::string(src.KindName())};
    for (auto& [k, val] : src.as_map()) {
      if (FindKey(map, k)) continue;  // already there: explicit or merged earlier, both win
      size_t at = map.value.as_map().size();
      Insert(map, k, pos, std::move(val));
      if (map.merged.size() <= at) map.merged.resize(at + 1, false);
      map.merged[at] = true;
    }
  };
  if (from.is_list()) {
    for (Value& item : from.as_list()) merge_one(std::move(item));
  } else {
    merge_one(std::move(from));
  }
}

// A cheap first pass so that a bad byte is reported where it is, instead of as
// whatever yaml-cpp makes of it.
bool CheckEncoding(const char* file, std::string_view text, lang::Diagnostics& diags) {
  size_t bad = internal::FindInvalidUtf8(text);
  if (bad == std::string_view::npos) return true;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text[bad]));
  diags.Error(internal::PosAtOffset(file, text, bad), internal::kCodeNotUtf8,
              std::string("file is not valid UTF-8: byte ") + hex + " here; manifests must be UTF-8 text");
  return false;
}

}  // namespace

std::vector<Manifest> ParseYaml(std::string_view file_name, std::string_view text, const LoadOptions& options,
                                lang::Diagnostics& diags) {
  const char* file = lang::InternFileName(file_name);
  std::vector<Manifest> out;
  if (text.size() > options.max_file_bytes) {
    diags.Error({file, 0, 0}, internal::kCodeFileTooLarge,
                "file is " + std::to_string(text.size()) + " bytes, over the limit of " +
                    std::to_string(options.max_file_bytes) + " bytes");
    return out;
  }
  if (!CheckEncoding(file, text, diags)) return out;
  MemoryBuf buf(text);
  std::istream in(&buf);
  lang::Diagnostics local;  // warnings in document order, then the error that stopped us
  ValueBuilder builder(file, options, local);
  try {
    YAML::Parser parser(in);
    int last_start = -1;
    while (parser.HandleNextDocument(builder)) {
      Value doc = builder.TakeDocument();
      const YAML::Mark& start = builder.document_mark();
      if (doc.is_null() && start.pos == last_start) {  // no progress: yaml-cpp is stuck
        const char c = static_cast<size_t>(start.pos) < text.size() ? text[start.pos] : ' ';
        throw LoadError{{file, static_cast<uint32_t>(start.line + 1), static_cast<uint32_t>(start.column + 1)},
                        internal::kCodeYamlSyntax, std::string("unexpected '") + c + "'; expected a document"};
      }
      last_start = start.pos;
      if (doc.is_null()) continue;  // `---` alone, or comments only
      internal::AppendManifest(std::move(doc), "document", out, local);
    }
  } catch (const LoadError& e) {
    local.Error(e.pos, e.code, e.message);
  } catch (const YAML::Exception& e) {
    SourcePos pos{file, static_cast<uint32_t>(e.mark.line + 1), static_cast<uint32_t>(e.mark.column + 1)};
    if (e.mark.is_null()) pos = {file, 0, 0};
    local.Error(pos, internal::kCodeYamlSyntax, e.msg);
  } catch (const std::exception& e) {
    local.Error({file, 0, 0}, internal::kCodeYamlSyntax, std::string("cannot parse YAML: ") + e.what());
  }
  diags.Merge(std::move(local));
  return out;
}

}  // namespace gorch::compiler
