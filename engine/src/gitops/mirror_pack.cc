// Keeping the mirror's object store small in number of files: libgit2 keeps every
// fetched pack as it came (it never explodes small packs nor repacks), so a mirror
// following a busy branch would gain one pack per commit, and every object lookup
// (and open file) grows with the number of packs. Once there are too many, they are
// rewritten into one; every object is kept (nothing is pruned), so any commit the
// mirror ever fetched stays readable.
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "mirror_internal.h"

namespace gorch::engine::mirror_internal {

namespace {

namespace fs = std::filesystem;

fs::path PackDir(git_repository* repo) { return fs::path(git_repository_path(repo)) / "objects" / "pack"; }

int InsertObject(const git_oid* id, void* payload) {
  return git_packbuilder_insert(static_cast<git_packbuilder*>(payload), id, nullptr);
}

}  // namespace

size_t CountPacks(git_repository* repo) {
  std::error_code ec;
  size_t packs = 0;
  for (fs::directory_iterator it(PackDir(repo), ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".pack") ++packs;
  return packs;
}

Status ConsolidatePacks(git_repository* repo) {
  const fs::path pack_dir = PackDir(repo);
  git_odb* odb = nullptr;
  git_packbuilder* builder = nullptr;
  struct Cleanup {
    git_odb*& odb;
    git_packbuilder*& builder;
    ~Cleanup() {
      git_packbuilder_free(builder);
      git_odb_free(odb);
    }
  } cleanup{odb, builder};
  if (git_repository_odb(&odb, repo) != 0 || git_packbuilder_new(&builder, repo) != 0 ||
      git_odb_foreach(odb, InsertObject, builder) != 0 ||
      git_packbuilder_write(builder, pack_dir.c_str(), 0, nullptr, nullptr) != 0)
    return Status::IOError("cannot repack the git mirror " + std::string(git_repository_path(repo)) + ": " +
                           LastGitError());
  const std::string kept = std::string("pack-") + git_packbuilder_name(builder);

  // Every object is in the new pack now: the others go (unless a .keep file says not to).
  std::error_code ec;
  std::vector<fs::path> superseded;
  for (fs::directory_iterator it(pack_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() != ".pack" || p.stem() == kept) continue;
    fs::path keep = p;
    if (!fs::exists(keep.replace_extension(".keep"))) superseded.push_back(p);
  }
  for (fs::path p : superseded) {
    for (const char* ext : {".idx", ".rev", ".bitmap", ".pack"}) fs::remove(p.replace_extension(ext), ec);
  }
  git_odb_refresh(odb);
  return Status::Ok();
}

}  // namespace gorch::engine::mirror_internal
