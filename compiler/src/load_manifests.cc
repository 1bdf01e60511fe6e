// LoadManifests: every manifest file of a Source, parsed in parallel, returned
// in a deterministic order; and the helpers both loaders share.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "gorch/compiler/loader.h"
#include "loader_internal.h"
#include "source_internal.h"

namespace gorch::compiler {

namespace internal {

void AppendManifest(lang::Value doc, std::string_view what, std::vector<Manifest>& out,
                    lang::Diagnostics& diags) {
  if (!doc.is_map()) {
    diags.Error(doc.pos(), kCodeNotAMap,
                std::string(what) + " is a " + std::string(doc.KindName()) +
                    ", expected a map (a manifest with apiVersion, kind, metadata)");
    return;
  }
  const lang::Value* kind = doc.Find("kind");
  const lang::Value* items = doc.Find("items");
  if (kind && kind->is_string() && kind->as_string() == "List") {
    if (!items || items->is_null()) return;  // an empty List
    if (!items->is_list()) {
      diags.Error(items->pos(), kCodeNotAMap, "the items of a List must be a list, not a " +
                                                  std::string(items->KindName()));
      return;
    }
    lang::Value::List list = std::move(doc.Find("items")->as_list());
    for (lang::Value& item : list) AppendManifest(std::move(item), "a List item", out, diags);
    return;
  }
  lang::SourcePos pos = doc.pos();
  out.push_back(Manifest{std::move(doc), pos});
}

std::string MessageWithoutPath(const std::string& message, const std::string& shown) {
  if (message.compare(0, shown.size(), shown) != 0) return message;
  if (message.compare(shown.size(), 2, ": ") == 0) return message.substr(shown.size() + 2);
  if (message.compare(shown.size(), 1, " ") == 0) return "file" + message.substr(shown.size());
  return message;
}

size_t FindInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // Fast path: eight ASCII bytes at a time.
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if ((s[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return std::string_view::npos;
}

lang::SourcePos PosAtOffset(const char* file, std::string_view text, size_t offset) {
  uint32_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {file, line, static_cast<uint32_t>(offset - line_start + 1)};
}

}  // namespace internal

namespace {

bool IsManifestFile(const std::string& path) {
  if (internal::IsHiddenPath(path)) return false;
  auto ends_with = [&](std::string_view suffix) {
    return path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".yaml") || ends_with(".yml") || ends_with(".json") || ends_with(".jsonnet");
}

struct FileResult {
  std::vector<Manifest> manifests;
  lang::Diagnostics diags;
};

void LoadOneFile(const Source& source, const std::string& path, const LoadOptions& options, FileResult& result) {
  const std::string shown = source.DisplayPath(path);
  try {
    if (path.size() > 8 && path.compare(path.size() - 8, 8, ".jsonnet") == 0) {
      result.manifests = LoadJsonnet(source, path, options, result.diags);
      return;
    }
    Result<std::string> text = source.ReadFile(path, options.max_file_bytes);
    if (!text.ok()) {
      const char* code = text.status().IsResourceExhausted() ? internal::kCodeFileTooLarge : internal::kCodeFileRead;
      result.diags.Error({lang::InternFileName(shown), 0, 0}, code,
                         internal::MessageWithoutPath(text.status().message(), shown));
      return;
    }
    result.manifests = ParseYaml(shown, *text, options, result.diags);
  } catch (const std::exception& e) {  // e.g. bad_alloc: this file fails, the run goes on
    result.diags.Error({lang::InternFileName(shown), 0, 0}, internal::kCodeInternal,
                       std::string("cannot load: ") + e.what());
  }
}

}  // namespace

std::vector<Manifest> LoadManifests(const Source& source, const LoadOptions& options, lang::Diagnostics& diags) {
  Result<std::vector<std::string>> listed = source.ListFiles();
  if (!listed.ok()) {
    diags.Error({lang::InternFileName(source.DisplayName()), 0, 0}, internal::kCodeFileRead,
                listed.status().message());
    return {};
  }
  std::vector<std::string> files;
  for (std::string& f : *listed)
    if (IsManifestFile(f)) files.push_back(std::move(f));
  std::sort(files.begin(), files.end());  // the contract's order, whatever the source gave

  // A pool over the file list: each worker takes the next file; results land
  // in the file's own slot, so the output order does not depend on scheduling.
  std::vector<FileResult> results(files.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < files.size();) LoadOneFile(source, files[i], options, results[i]);
  };
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, files.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();

  std::vector<Manifest> out;
  size_t total = 0;
  for (const FileResult& r : results) total += r.manifests.size();
  out.reserve(total);
  for (FileResult& r : results) {
    std::move(r.manifests.begin(), r.manifests.end(), std::back_inserter(out));
    diags.Merge(std::move(r.diags));
  }
  return out;
}

}  // namespace gorch::compiler
