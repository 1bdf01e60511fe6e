#include "local_store.h"

#include <fstream>
#include <sstream>

#include "gorch/engine/apply.h"
#include "gorch/store/lmdb_store.h"

namespace gorch::cli {

Result<std::unique_ptr<store::Store>> OpenLocalStore(const std::string& dir, bool create) {
  store::LmdbOptions options;
  options.dir = dir;
  options.create_if_missing = create;
  return store::OpenLmdbStore(options);
}

Status ReadLocalState(const std::string& dir, planner::LiveState& live, planner::ClusterSnapshot& nodes) {
  auto st = OpenLocalStore(dir, false);
  if (!st.ok()) return st.status();
  auto read = engine::ReadLiveState(**st, &nodes);
  if (!read.ok()) return read.status();
  live = std::move(*read);
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace gorch::cli
