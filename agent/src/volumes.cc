#include "volumes.h"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace gorch::agent {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::optional<std::string> Base64Decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] != '='; ++i) {
    if (text[i] == '\n' || text[i] == '\r') continue;
    int v = value(text[i]);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    if (++count == 4) {
      out.push_back(static_cast<char>((bits >> 16) & 0xff));
      out.push_back(static_cast<char>((bits >> 8) & 0xff));
      out.push_back(static_cast<char>(bits & 0xff));
      bits = 0;
      count = 0;
    }
  }
  for (; i < text.size(); ++i)
    if (text[i] != '=' && text[i] != '\n') return std::nullopt;
  if (count == 1) return std::nullopt;
  if (count == 2) out.push_back(static_cast<char>((bits >> 4) & 0xff));
  if (count == 3) {
    out.push_back(static_cast<char>((bits >> 10) & 0xff));
    out.push_back(static_cast<char>((bits >> 2) & 0xff));
  }
  return out;
}

Status WithMessage(const Status& s, const std::string& message) {
  using C = Status::Code;
  switch (s.code()) {
    case C::kOk: return Status::Ok();
    case C::kNotFound: return Status::NotFound(message);
    case C::kInvalidArgument: return Status::InvalidArgument(message);
    case C::kAlreadyExists: return Status::AlreadyExists(message);
    case C::kFailedPrecondition: return Status::FailedPrecondition(message);
    case C::kCorruption: return Status::Corruption(message);
    case C::kIOError: return Status::IOError(message);
    case C::kUnavailable: return Status::Unavailable(message);
    case C::kResourceExhausted: return Status::ResourceExhausted(message);
    case C::kCompacted: return Status::Compacted(message);
    case C::kAborted: return Status::Aborted(message);
    case C::kInternal: return Status::Internal(message);
  }
  return Status::Internal(message);
}

std::string PathSegment(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Copies string values of object j[field] into out, base64-decoding when asked.
Status AddData(const Json& obj, const char* field, bool base64, const std::string& what,
               std::map<std::string, std::string>& out) {
  if (!obj.contains(field) || !obj[field].is_object()) return Status::Ok();
  for (auto it = obj[field].begin(); it != obj[field].end(); ++it) {
    if (!it->is_string()) continue;
    if (!base64) {
      out[it.key()] = it->get<std::string>();
      continue;
    }
    auto decoded = Base64Decode(it->get<std::string>());
    if (!decoded) return Status::InvalidArgument(what + ": " + field + "." + it.key() + " is not valid base64");
    out[it.key()] = std::move(*decoded);
  }
  return Status::Ok();
}

}  // namespace

Result<std::map<std::string, std::string>> ReadConfigData(const ObjectGetter& get, const std::string& kind,
                                                          const std::string& ns, const std::string& name) {
  const std::string what = Lower(kind) + " \"" + name + "\"";
  if (!get) return Status::Unavailable(what + ": this agent cannot read objects from the server");
  auto text = get(kind, ns, name);
  if (!text.ok()) {
    if (text.status().IsNotFound()) return Status::NotFound(what + " not found");
    return WithMessage(text.status(), what + ": " + text.status().message());
  }
  Json doc = Json::parse(*text, nullptr, false);
  const Json& obj = doc.is_object() && doc.contains("object") ? doc["object"] : doc;
  if (!obj.is_object()) return Status::InvalidArgument(what + ": not an object");
  std::map<std::string, std::string> out;
  const bool secret = kind == "Secret";
  if (Status s = AddData(obj, "data", secret, what, out); !s.ok()) return s;
  if (Status s = AddData(obj, secret ? "stringData" : "binaryData", !secret, what, out); !s.ok()) return s;
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ResolveEnv(const ContainerSpec& c, const std::string& ns,
                                                                    const ObjectGetter& get) {
  std::vector<std::pair<std::string, std::string>> env;
  auto set = [&env](const std::string& name, std::string value) {
    for (auto& [k, v] : env)
      if (k == name) {
        v = std::move(value);
        return;
      }
    env.emplace_back(name, std::move(value));
  };
  // One read per object, however many keys come from it.
  std::map<std::pair<std::string, std::string>, Result<std::map<std::string, std::string>>> cache;
  auto data = [&](const std::string& kind, const std::string& name) -> const Result<std::map<std::string, std::string>>& {
    auto key = std::make_pair(kind, name);
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, ReadConfigData(get, kind, ns, name)).first;
    return it->second;
  };
  for (const auto& from : c.env_from) {
    const auto& d = data(from.kind, from.name);
    if (!d.ok()) {
      if (d.status().IsNotFound() && from.optional) continue;
      return Status::FailedPrecondition(d.status().message());
    }
    for (const auto& [k, v] : *d) set(from.prefix + k, v);
  }
  for (const auto& [k, v] : c.env) set(k, v);
  for (const auto& ref : c.env_refs) {
    const auto& d = data(ref.source.kind, ref.source.name);
    if (!d.ok()) {
      if (d.status().IsNotFound() && ref.source.optional) continue;
      return Status::FailedPrecondition("env " + ref.name + ": " + d.status().message());
    }
    auto it = d->find(ref.source.key);
    if (it == d->end()) {
      if (ref.source.optional) continue;
      return Status::FailedPrecondition("env " + ref.name + ": key \"" + ref.source.key + "\" not found in " +
                                        Lower(ref.source.kind) + " \"" + ref.source.name + "\"");
    }
    set(ref.name, it->second);
  }
  return env;
}

namespace {

Status WriteFile(const fs::path& path, const std::string& content, int mode) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) return Status::IOError("cannot write " + path.string());
  }
  if (::chmod(tmp.c_str(), static_cast<mode_t>(mode)) != 0) return Status::IOError("cannot chmod " + tmp.string());
  fs::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot write " + path.string() + ": " + ec.message());
  return Status::Ok();
}

// Writes a ConfigMap's or Secret's keys (or the listed items) as files in dir.
Status Project(const Volume& v, const std::string& ns, const fs::path& dir, const ObjectGetter& get) {
  const std::string kind = v.kind == Volume::Kind::kSecret ? "Secret" : "ConfigMap";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("volume " + v.name + ": cannot make " + dir.string() + ": " + ec.message());
  auto data = ReadConfigData(get, kind, ns, v.source);
  if (!data.ok()) {
    if (data.status().IsNotFound() && v.optional) return Status::Ok();
    return Status::FailedPrecondition("volume " + v.name + ": " + data.status().message());
  }
  const int mode = v.default_mode >= 0 ? v.default_mode : (kind == "Secret" ? 0400 : 0644);
  std::vector<std::pair<std::string, std::string>> items = v.items;
  if (items.empty())
    for (const auto& [k, value] : *data) items.emplace_back(k, k);
  for (const auto& [key, rel] : items) {
    auto it = data->find(key);
    if (it == data->end()) {
      if (v.optional) continue;
      return Status::FailedPrecondition("volume " + v.name + ": key \"" + key + "\" not found in " + Lower(kind) +
                                        " \"" + v.source + "\"");
    }
    fs::path target = dir / fs::path(rel).lexically_normal();
    if (rel.empty() || rel.find("..") != std::string::npos || fs::path(rel).is_absolute())
      return Status::InvalidArgument("volume " + v.name + ": item path \"" + rel + "\" must be relative, without ..");
    if (Status s = WriteFile(target, it->second, mode); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Result<std::map<std::string, fs::path>> PrepareVolumes(const PodSpec& pod, const fs::path& pod_dir,
                                                       const fs::path& pvc_root, const ObjectGetter& get) {
  std::map<std::string, fs::path> out;
  std::error_code ec;
  for (const auto& v : pod.volumes) {
    fs::path path;
    switch (v.kind) {
      case Volume::Kind::kEmptyDir:
        path = pod_dir / "volumes" / PathSegment(v.name);
        fs::create_directories(path, ec);
        break;
      case Volume::Kind::kHostPath:
        path = v.source;
        if (v.host_path_type == "DirectoryOrCreate") fs::create_directories(path, ec);
        if (!v.host_path_type.empty() && v.host_path_type != "DirectoryOrCreate" && v.host_path_type != "FileOrCreate" &&
            !fs::exists(path))
          return Status::FailedPrecondition("volume " + v.name + ": hostPath " + v.source + " does not exist");
        break;
      case Volume::Kind::kConfigMap:
      case Volume::Kind::kSecret:
        path = pod_dir / "volumes" / PathSegment(v.name);
        if (Status s = Project(v, pod.namespace_, path, get); !s.ok()) return s;
        break;
      case Volume::Kind::kPersistentVolumeClaim:
        path = pvc_root / PathSegment(pod.namespace_) / PathSegment(v.source);
        fs::create_directories(path, ec);
        break;
    }
    if (ec) return Status::IOError("volume " + v.name + ": cannot make " + path.string() + ": " + ec.message());
    out[v.name] = path;
  }
  return out;
}

}  // namespace gorch::agent
