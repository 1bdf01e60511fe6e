#include "server/objects.h"

#include <nlohmann/json.hpp>

namespace gorch::engine::server {

std::string StoreKey(std::string_view kind, std::string_view ns, std::string_view name) {
  std::string key;
  key.reserve(kind.size() + ns.size() + name.size() + 3);
  key.append("/").append(kind).append("/").append(ns).append("/").append(name);
  return key;
}

bool ParseStoreKey(std::string_view key, ObjectKey& out) {
  if (key.size() < 4 || key[0] != '/') return false;
  size_t a = key.find('/', 1);
  if (a == std::string_view::npos) return false;
  size_t b = key.find('/', a + 1);
  if (b == std::string_view::npos || key.find('/', b + 1) != std::string_view::npos) return false;
  out.kind = std::string(key.substr(1, a - 1));
  out.namespace_ = std::string(key.substr(a + 1, b - a - 1));
  out.name = std::string(key.substr(b + 1));
  return !out.kind.empty() && !out.name.empty() && out.kind != "gorch";
}

std::string StatusKey(std::string_view kind, std::string_view ns, std::string_view name) {
  return "/gorch/status" + StoreKey(kind, ns, name);
}

Status ValidateSegment(std::string_view what, std::string_view s, bool may_be_empty) {
  if (s.empty()) {
    if (may_be_empty) return Status::Ok();
    return Status::InvalidArgument(std::string(what) + " is required");
  }
  if (s.size() > 253) return Status::InvalidArgument(std::string(what) + " is longer than 253 bytes");
  for (char c : s) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Status::InvalidArgument(std::string(what) + " \"" + std::string(s) +
                                     "\" may not contain '/' or control characters");
  }
  return Status::Ok();
}

namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

Result<Selector> ParseSelector(std::string_view text) {
  Selector out;
  size_t pos = 0;
  while (pos <= text.size() && !Trim(text).empty()) {
    size_t comma = text.find(',', pos);
    std::string term = Trim(text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos));
    pos = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    if (term.empty()) return Status::InvalidArgument("label selector \"" + std::string(text) + "\": empty term");
    LabelRequirement r;
    size_t ne = term.find("!=");
    size_t eq = term.find('=');
    if (ne != std::string::npos) {
      r.op = LabelRequirement::Op::kNotEqual;
      r.key = Trim(term.substr(0, ne));
      r.value = Trim(term.substr(ne + 2));
    } else if (eq != std::string::npos) {
      r.op = LabelRequirement::Op::kEqual;
      r.key = Trim(term.substr(0, eq));
      size_t v = term.compare(eq, 2, "==") == 0 ? eq + 2 : eq + 1;
      r.value = Trim(term.substr(v));
    } else if (term[0] == '!') {
      r.op = LabelRequirement::Op::kNotExists;
      r.key = Trim(term.substr(1));
    } else {
      r.key = term;
    }
    if (r.key.empty())
      return Status::InvalidArgument("label selector \"" + std::string(text) + "\": a term has no key");
    if (r.key.find_first_of("=!(), ") != std::string::npos || r.value.find_first_of("=!(), ") != std::string::npos)
      return Status::InvalidArgument("label selector \"" + std::string(text) + "\": malformed term \"" + term +
                                     "\" (use key=value, key!=value, key or !key)");
    out.push_back(std::move(r));
  }
  return out;
}

bool SelectorMatches(const Selector& selector, const std::map<std::string, std::string>& labels) {
  for (const auto& r : selector) {
    auto it = labels.find(r.key);
    switch (r.op) {
      case LabelRequirement::Op::kEqual:
        if (it == labels.end() || it->second != r.value) return false;
        break;
      case LabelRequirement::Op::kNotEqual:
        if (it != labels.end() && it->second == r.value) return false;
        break;
      case LabelRequirement::Op::kExists:
        if (it == labels.end()) return false;
        break;
      case LabelRequirement::Op::kNotExists:
        if (it != labels.end()) return false;
        break;
    }
  }
  return true;
}

std::map<std::string, std::string> LabelsOf(std::string_view store_value) {
  std::map<std::string, std::string> out;
  auto doc = nlohmann::json::parse(store_value, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return out;
  const auto* labels = &doc;
  for (const char* step : {"object", "metadata", "labels"}) {
    if (!labels->is_object() || !labels->contains(step)) return out;
    labels = &(*labels)[step];
  }
  if (!labels->is_object()) return out;
  for (auto it = labels->begin(); it != labels->end(); ++it)
    if (it->is_string()) out[it.key()] = it->get<std::string>();
  return out;
}

grpc::Status ToGrpc(const Status& s) {
  using C = Status::Code;
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (s.code()) {
    case C::kOk: return grpc::Status::OK;
    case C::kNotFound: code = grpc::StatusCode::NOT_FOUND; break;
    case C::kInvalidArgument: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case C::kAlreadyExists: code = grpc::StatusCode::ALREADY_EXISTS; break;
    case C::kFailedPrecondition: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case C::kCorruption: code = grpc::StatusCode::DATA_LOSS; break;
    case C::kIOError: code = grpc::StatusCode::INTERNAL; break;
    case C::kUnavailable: code = grpc::StatusCode::UNAVAILABLE; break;
    case C::kResourceExhausted: code = grpc::StatusCode::RESOURCE_EXHAUSTED; break;
    case C::kCompacted: code = grpc::StatusCode::OUT_OF_RANGE; break;
    case C::kAborted: code = grpc::StatusCode::ABORTED; break;
    case C::kInternal: code = grpc::StatusCode::INTERNAL; break;
  }
  return grpc::Status(code, s.message());
}

}  // namespace gorch::engine::server
