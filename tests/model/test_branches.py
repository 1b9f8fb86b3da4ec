"""Branch -> Deployment (SPEC 3): globs, regexes, the first match, the slug, detection in real git."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from conftest import git, run_cli
from hypothesis import assume, given
from hypothesis import strategies as st

from compiler.errors import OperationError
from compiler.model.branches import SLUG_MAX, detect, glob_regex, match, slug
from compiler.model.objects import BranchRule, PreviewSpec, WorkspaceSpec

# --- globs and regexes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "branch", "matches"),
    [
        ("main", "main", True),
        ("main", "main2", False),
        ("feature/*", "feature/x", True),
        ("feature/*", "feature/x/y", False),  # `*` stays within one segment
        ("feature/*", "feature/", True),
        ("feature/**", "feature/x/y/z", True),  # `**` crosses segments
        ("feature/**", "feature", False),
        ("**", "any/thing/at/all", True),
        ("**/hotfix", "hotfix", True),  # `**/` also matches no segment at all
        ("**/hotfix", "team/a/hotfix", True),
        ("release/*/fix", "release/1.0/fix", True),
        ("release/*/fix", "release/1/0/fix", False),
        ("v?.?", "v1.2", True),
        ("v?.?", "v1.23", False),
        ("v?", "v/", False),  # `?` is one character, never '/'
        ("release-1.0", "release-1x0", False),  # everything else is literal
        ("a+b", "a+b", True),
        ("a+b", "aab", False),
        ("(x)", "(x)", True),
    ],
)
def test_glob(pattern: str, branch: str, matches: bool) -> None:
    assert bool(glob_regex(pattern).fullmatch(branch)) is matches


def rule(
    index: int, pattern: str, *, regex: bool = False, deployment: str | None = None, preview: str | None = None
) -> BranchRule:
    return BranchRule(
        index=index,
        path="environments/workspace.yaml",
        ypath=("branches", index),
        pattern=pattern,
        is_regex=regex,
        deployment=deployment,
        preview=PreviewSpec(from_=preview, name="p-{{ branch.slug }}") if preview else None,
    )


WORKSPACE = WorkspaceSpec(
    path="environments/workspace.yaml",
    name="Data Platform",
    rules=(
        rule(0, "main", deployment="production"),
        rule(1, r"(spike|sandbox)/.+", regex=True, deployment="sandbox"),
        rule(2, "feature/legacy", deployment="legacy"),
        rule(3, "feature/**", preview="development"),
        rule(4, r"release-\d+", regex=True, deployment="staging"),
        rule(5, "**", deployment="development"),
    ),
)


@pytest.mark.parametrize(
    ("branch", "index"),
    [
        ("main", 0),
        ("spike/idea", 1),
        ("sandbox/a/b", 1),
        ("xspike/idea", 5),  # a regex must match the whole name
        ("spike/", 5),
        ("feature/legacy", 2),  # first match wins over the later feature/**
        ("feature/legacy/x", 3),
        ("release-12", 4),
        ("release-12a", 5),
        ("hotfix/x", 5),
    ],
)
def test_first_matching_rule_wins(branch: str, index: int) -> None:
    found = match(WORKSPACE, branch)
    assert found is not None
    assert found.rule.index == index
    assert found.branch == branch
    assert found.slug == slug(branch)


def test_no_rule_matches() -> None:
    assert match(WorkspaceSpec(path="w", name="W", rules=(rule(0, "main", deployment="p"),)), "dev") is None


def test_target_of_a_preview_starts_from_its_base() -> None:
    found = match(WORKSPACE, "feature/x")
    assert found is not None
    assert found.is_preview
    assert found.base == "development"


# --- the slug ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("branch", "expected"),
    [
        ("main", "main"),
        ("feature/JIRA-123_New-Thing", "feature-jira-123-new-thing"),
        ("--Feature//X__", "feature-x"),
        ("feature/ümlaut", "feature-mlaut"),
        ("", ""),
        ("x" * 40, "x" * 40),
    ],
)
def test_slug_examples(branch: str, expected: str) -> None:
    assert slug(branch) == expected


def test_a_long_slug_is_cut_and_hashed() -> None:
    branch = "feature/" + "very-long-branch-name-" * 3
    digest = hashlib.sha1(branch.encode()).hexdigest()[:6]
    assert slug(branch) == "feature-very-long-branch-name-ver-" + digest
    assert slug("x" * 41) == "x" * 33 + "-" + hashlib.sha1(b"x" * 41).hexdigest()[:6]


def _normalized(branch: str) -> str:
    """SPEC 3 before the length rule, written independently of compiler.model.branches."""
    return re.sub(r"[^a-z0-9]+", "-", branch.lower()).strip("-")


BRANCHES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80) | st.from_regex(
    r"[A-Za-z0-9_./-]{0,90}", fullmatch=True
)


@given(BRANCHES)
def test_slug_shape(branch: str) -> None:
    result = slug(branch)
    normalized = _normalized(branch)
    assert len(result) <= SLUG_MAX
    assert re.fullmatch(r"[a-z0-9-]*", result)
    assert not result.startswith("-")
    if len(normalized) <= SLUG_MAX:
        assert result == normalized
        assert slug(result) == result  # a short slug is its own slug
    else:
        assert result == normalized[:33] + "-" + hashlib.sha1(branch.encode()).hexdigest()[:6]


@given(
    st.from_regex(r"[a-z0-9]{33}", fullmatch=True),
    st.text("abc/_-", min_size=8, max_size=20),
    st.text("abc/_-", min_size=8, max_size=20),
)
def test_distinct_long_names_sharing_33_characters_get_distinct_slugs(prefix: str, tail1: str, tail2: str) -> None:
    assume(tail1 != tail2)
    first, second = prefix + tail1, prefix + tail2
    assume(len(_normalized(first)) > SLUG_MAX and len(_normalized(second)) > SLUG_MAX)
    assert slug(first)[:33] == slug(second)[:33]
    assert slug(first) != slug(second)


# --- detection order -----------------------------------------------------------------------


def checked_out(name: str | None) -> Callable[[], str | None]:
    return lambda: name


@pytest.mark.parametrize(
    ("flag", "environ", "expected"),
    [
        ("cli", {"GITHUB_HEAD_REF": "pr", "GITHUB_REF": "refs/heads/push", "GITHUB_REF_NAME": "push"}, "cli"),
        (None, {"GITHUB_HEAD_REF": "pr", "GITHUB_REF": "refs/pull/1/merge", "GITHUB_REF_NAME": "1/merge"}, "pr"),
        (None, {"GITHUB_HEAD_REF": "", "GITHUB_REF": "refs/heads/push", "GITHUB_REF_NAME": "push"}, "push"),
        (None, {"GITHUB_REF": "refs/pull/1/merge", "GITHUB_REF_NAME": "1/merge"}, "git"),
        (None, {"GITHUB_REF": "refs/tags/v1", "GITHUB_REF_NAME": "v1"}, "git"),
        (None, {"GITHUB_REF_NAME": "push"}, "git"),
        (None, {}, "git"),
    ],
)
def test_detect_order(flag: str | None, environ: dict[str, str], expected: str) -> None:
    assert detect(flag, environ, checked_out("git")) == expected


def test_detect_never_asks_git_when_told() -> None:
    def fail() -> str | None:
        raise AssertionError("git was asked")

    assert detect(None, {"GITHUB_HEAD_REF": "pr"}, fail) == "pr"


def test_detached_head_without_variables_says_to_pass_branch() -> None:
    with pytest.raises(OperationError, match="--branch"):
        detect(None, {"GITHUB_REF": "refs/pull/3/merge"}, checked_out(None))


# --- real git repositories ----------------------------------------------------------------

FILES = {
    "environments/workspace.yaml": """\
version: 1
workspace: Data Platform
branches:
  - branch: main
    deployment: production
  - branch: dev
    deployment: development
  - branch: "feature/**"
    preview:
      from: development
      name: "dev-{{ branch.slug }}"
  - branch: "takeover/*"
    preview:
      from: development
      name: "{{ branch.name | replace('takeover/', '') }}"
""",
    "environments/deployments/production.yaml": "name: production\nastro: {executor: KUBERNETES}\n",
    "environments/deployments/development.yaml": "name: development\nastro: {executor: KUBERNETES}\n",
}

MakeRepo = Callable[[Mapping[str, str]], Path]


def which(root: Path, *args: str, env: Mapping[str, str] | None = None) -> dict[str, object]:
    result = run_cli("which", "--format", "json", *args, cwd=root, env=env)
    assert result.code == 0, result.err
    found: dict[str, object] = json.loads(result.out)
    return found


def test_the_checked_out_branch(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    assert which(root)["deployment"] == "production"
    git(root, "checkout", "-q", "-b", "dev")
    assert which(root)["deployment"] == "development"


def test_which_json_fields(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    git(root, "checkout", "-q", "-b", "feature/Add_Login")
    assert which(root) == {
        "deployment": "dev-feature-add-login",
        "preview": True,
        "from": "development",
        "template": "dev-{{ branch.slug }}",
        "branch": "feature/Add_Login",
        "slug": "feature-add-login",
    }
    assert which(root, "--branch", "main") == {
        "deployment": "production",
        "preview": False,
        "from": None,
        "template": None,
        "branch": "main",
        "slug": "main",
    }


def test_which_text(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    result = run_cli("which", "--branch", "feature/x", cwd=root)
    assert (result.code, result.out) == (0, "dev-feature-x (preview of development, branch feature/x)\n")


def test_pull_request_head_ref_beats_the_checkout(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    env = {"GITHUB_HEAD_REF": "dev", "GITHUB_REF": "refs/pull/7/merge", "GITHUB_REF_NAME": "7/merge"}
    assert which(root, env=env)["branch"] == "dev"


def test_push_ref_name(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    assert which(root, env={"GITHUB_REF": "refs/heads/dev", "GITHUB_REF_NAME": "dev"})["deployment"] == "development"


def test_pull_request_merge_ref_is_not_a_branch(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    found = which(root, env={"GITHUB_REF": "refs/pull/1/merge", "GITHUB_REF_NAME": "1/merge"})
    assert found["branch"] == "main"  # the checkout, not "1/merge"


def test_branch_flag_beats_everything(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    env = {"GITHUB_HEAD_REF": "dev", "GITHUB_REF": "refs/heads/dev", "GITHUB_REF_NAME": "dev"}
    assert which(root, "--branch", "main", env=env)["deployment"] == "production"


def _detach(root: Path) -> None:
    git(root, "checkout", "-q", "--detach", "HEAD")


def test_detached_head_is_an_error_that_says_to_pass_branch(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    _detach(root)
    for command in (("which",), ("render", "--out", str(root / "build"))):
        result = run_cli(*command, cwd=root)
        assert result.code == 1, result.err
        assert "--branch" in result.err
        assert "Traceback" not in result.err
    assert not (root / "build").exists()


def test_detached_head_in_a_pull_request_uses_head_ref(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    _detach(root)  # what actions/checkout leaves on pull_request
    assert (
        which(root, env={"GITHUB_HEAD_REF": "feature/x", "GITHUB_REF": "refs/pull/2/merge"})["deployment"]
        == "dev-feature-x"
    )


def test_the_checked_out_branch_of_a_linked_worktree_and_after_packing_refs(make_repo: MakeRepo) -> None:
    """HEAD is read without GitPython in a plain repository (compiler/load/gitrefs.py); a linked
    worktree (its `.git` is a file), packed refs and an unborn branch answer as git says."""
    root = make_repo(FILES)
    git(root, "branch", "dev")
    git(root, "pack-refs", "--all")  # refs/heads/* now live in .git/packed-refs only
    git(root, "checkout", "-q", "dev")
    assert which(root)["deployment"] == "development"
    worktree = root.parent / f"{root.name}-main"
    git(root, "checkout", "-q", "-b", "feature/y")
    git(root, "worktree", "add", "-q", str(worktree), "main")
    assert (worktree / ".git").is_file()
    assert which(worktree)["deployment"] == "production"
    assert which(root)["deployment"] == "dev-feature-y"
    git(root, "checkout", "-q", "--orphan", "feature/unborn")  # a branch without a commit yet
    assert which(root)["branch"] == "feature/unborn"


def _gitpython_branch(root: Path) -> str | None:
    """What GitPython answers (astro-gitops' reader before the plain HEAD reader)."""
    import git as gitpython

    try:
        return str(gitpython.Repo(root, search_parent_directories=True).active_branch.name)
    except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError, TypeError, ValueError):
        return None


@pytest.mark.parametrize(
    "head",
    [
        b"  ref: refs/heads/main\n",  # leading spaces
        b"ref:\x1frefs/heads/main",  # a separator that is not a space
        "ref:\u00a0refs/heads/main\n".encode(),
        "ref:\u3000refs/heads/main\n".encode(),
        b"ref:  refs/heads/main\n",
        b"ref: refs/heads/main\r\n",
        b"ref: refs/heads/.invalid\n",  # git's reftable marker
        b"ref: refs/heads/main\nref: refs/heads/feature/y\n",
        b"ref: refs/heads/feature/y\n",  # as git writes it: read without GitPython
        "ref: refs/heads/feature/\u00e9t\u00e9\n".encode(),
    ],
)
def test_a_nested_repository_head_answers_as_gitpython_does(make_repo: MakeRepo, head: bytes) -> None:
    """The plain HEAD reader (compiler/load/gitrefs.py) answers only for a HEAD exactly as git
    writes it; any other goes to GitPython, which may take the outer repository's branch. A
    HEAD that says `main` only to a lax reader must never map a feature branch to production."""
    from conftest import write_files

    from compiler.load.gitrefs import checked_out_branch

    outer = make_repo({})
    git(outer, "checkout", "-q", "-b", "feature/outer")
    inner = outer / "inner"
    inner.mkdir()
    write_files(inner, FILES)
    git(inner, "init", "-q", "-b", "main")
    git(inner, "add", "-A")
    git(inner, "commit", "-q", "-m", "initial")
    (inner / ".git" / "HEAD").write_bytes(head)
    expected = _gitpython_branch(inner)
    assert checked_out_branch(inner) == expected
    shown = run_cli("which", "--format", "json", cwd=inner)
    if expected is None:
        assert shown.code == 1
    else:
        assert json.loads(shown.out)["branch"] == expected
    if head.startswith(b"ref: refs/heads/feature/y\n"):
        assert expected == "feature/y"  # the plain case: read, and as GitPython reads it


def test_a_dangling_commondir_link_goes_to_gitpython(make_repo: MakeRepo) -> None:
    from compiler.load.gitrefs import checked_out_branch

    root = make_repo(FILES)
    (root / ".git" / "commondir").symlink_to(root / "nonexistent")
    assert checked_out_branch(root) == _gitpython_branch(root)


def test_outside_git_needs_branch(tmp_path: Path) -> None:
    from conftest import write_files

    write_files(tmp_path, FILES)
    assert run_cli("which", cwd=tmp_path).code == 1
    assert which(tmp_path, "--branch", "dev")["deployment"] == "development"


def test_no_matching_rule_lists_the_rules(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    git(root, "checkout", "-q", "-b", "hotfix/urgent")
    result = run_cli("which", cwd=root)
    assert result.code == 1
    assert "error[no-matching-branch]" in result.err
    assert "'hotfix/urgent'" in result.err
    for listed in (
        "branch 'main' -> production",
        "branch 'dev' -> development",
        "branch 'feature/**' -> preview from development",
    ):
        assert listed in result.err


def test_two_branches_with_one_preview_name_collide(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    git(root, "branch", "feature/a_b")
    git(root, "branch", "feature/a-b")
    for args in (
        ("which", "--branch", "feature/a_b"),
        ("render", "--branch", "feature/a-b", "--out", str(root / "build")),
    ):
        result = run_cli(*args, cwd=root)
        assert result.code == 1, result.err
        assert "error[preview-name-collision]" in result.err
        assert "feature/a_b" in result.err
        assert "feature/a-b" in result.err
    assert not (root / "build").exists()


def test_a_remote_branch_collides_too(make_repo: MakeRepo, tmp_path: Path) -> None:
    upstream = make_repo(FILES)
    git(upstream, "branch", "feature/x.y")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    git(clone, "checkout", "-q", "-b", "feature/x-y")
    result = run_cli("which", cwd=clone)
    assert result.code == 1
    assert "error[preview-name-collision]" in result.err


def test_a_preview_named_like_a_deployment_collides(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    result = run_cli("which", "--branch", "takeover/production", cwd=root)
    assert result.code == 1
    assert "error[preview-name-collision]" in result.err


def test_distinct_previews_do_not_collide(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    git(root, "branch", "feature/a")
    git(root, "branch", "feature/b")
    assert which(root, "--branch", "feature/a")["deployment"] == "dev-feature-a"


def test_render_follows_the_checked_out_branch(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    git(root, "checkout", "-q", "-b", "feature/Render_Me")
    result = run_cli("render", cwd=root)
    assert result.code == 0, result.err
    assert sorted(p.relative_to(root / "build").as_posix() for p in (root / "build").rglob("*.yaml")) == [
        "dev-feature-render-me/airflow_settings.yaml",
        "dev-feature-render-me/deployment.yaml",
    ]
    assert "name: dev-feature-render-me\n" in (root / "build/dev-feature-render-me/deployment.yaml").read_text()


# --- user regexes are matched in linear time (issue 15 item 9) ---------------------------

BACKTRACKING = {
    **FILES,
    "environments/workspace.yaml": """\
version: 1
workspace: Data Platform
branches:
  - regex: "(a+)+$"
    deployment: production
  - regex: "(x|x)*y|(\\\\w+\\\\s?)+$|(.*a){12}"
    deployment: development
""",
}


def test_a_backtracking_regex_and_a_long_branch_end_at_once(make_repo: MakeRepo) -> None:
    root = make_repo(BACKTRACKING)
    branch = "a" * 250 + "!"  # Python's re would take longer than the universe

    result = run_cli("which", cwd=root, env={"GITHUB_HEAD_REF": branch})

    assert result.code == 1
    assert "error[no-matching-branch]" in result.err and "environments/workspace.yaml:3:" in result.err
    assert which(root, "--branch", "a" * 250)["deployment"] == "production"


def test_a_branch_name_longer_than_the_bound_is_an_error(make_repo: MakeRepo) -> None:
    root = make_repo(BACKTRACKING)

    result = run_cli("which", cwd=root, env={"GITHUB_HEAD_REF": "a" * 5000})

    assert result.code == 1
    assert "GITHUB_HEAD_REF" in result.err and "at most 255" in result.err


def test_a_regex_that_needs_backtracking_is_invalid_at_its_rule(make_repo: MakeRepo) -> None:
    files = {
        **FILES,
        "environments/workspace.yaml": FILES["environments/workspace.yaml"]
        + '  - regex: "(a)\\\\1"\n    deployment: production\n',
    }
    root = make_repo(files)

    result = run_cli("validate", cwd=root)

    assert result.code == 1
    assert "environments/workspace.yaml:16:12: error[invalid-regex]" in result.out
    assert "backreferences" in result.out


# --- preview collisions without history (issue 16 item 2) --------------------------------


def test_a_depth_1_checkout_still_sees_colliding_remote_branches(make_repo: MakeRepo, tmp_path: Path) -> None:
    upstream = make_repo(FILES)
    git(upstream, "branch", "feature/a_b")
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "main", f"file://{upstream}", str(clone))
    git(clone, "checkout", "-q", "-b", "feature/a-b")  # as actions/checkout leaves a PR

    result = run_cli("which", cwd=clone, env={"GITHUB_HEAD_REF": "feature/a-b"})

    assert result.code == 1
    assert "error[preview-name-collision]" in result.err and "'feature/a_b'" in result.err


def test_unknown_remote_branches_are_a_warning_not_a_silent_pass(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    git(root, "remote", "add", "origin", str(root / "no-such-remote"))  # offline, or no access

    result = run_cli("which", "--branch", "feature/x", cwd=root)

    assert result.code == 0
    assert "warning[preview-collisions-unchecked]" in result.err and "remote 'origin'" in result.err
    assert result.out == "dev-feature-x (preview of development, branch feature/x)\n"


def test_without_a_remote_the_check_says_it_saw_only_local_branches(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)

    result = run_cli("render", "--branch", "feature/x", "--out", str(root / "build"), cwd=root)

    assert result.code == 0
    assert "warning[preview-collisions-unchecked]" in result.err and "no git remote" in result.err


def test_the_collision_hint_works_when_followed(make_repo: MakeRepo) -> None:
    root = make_repo(FILES)
    git(root, "branch", "feature/a_b")
    git(root, "checkout", "-q", "-b", "feature/a-b")
    result = run_cli("which", cwd=root)
    assert result.code == 1
    hint = re.search(r"rename this branch, e\.g\. (git branch -m \S+ \S+) \(preview name '([^']+)'\)", result.err)
    assert hint is not None, result.err

    git(root, *hint.group(1).split()[1:])  # exactly what the hint says

    assert which(root)["deployment"] == hint.group(2)
    assert which(root, "--branch", "feature/a_b")["deployment"] == "dev-feature-a-b"
