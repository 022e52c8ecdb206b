"""Checks template.yaml against the code it deploys: environment variables and IAM permissions.

For each AWS::Serverless::Function of the template:

- its code is the Rust sources of its crate (CodeUri) and of the workspace crates it depends on,
  transitively (normal dependencies with a path, from `cargo metadata --no-deps`); of those, only
  the modules its binary can reach (see `Workspace.reachable_files`) and never `#[cfg(test)]`
  items;
- every environment variable the code reads (a string literal named like `QUICKSTEP_…` or
  `AWS_…`, or any literal passed to `env::var`/`env::var_os`) must be set by the template
  (Globals merged), unless Lambda itself sets it;
- every AWS action the code can call must be allowed by the function's role, and the role must
  allow nothing more: no action the code never calls (beyond what Lambda needs to run the
  function: its logs, its SQS event sources, its SQS failure destination), no wildcard action,
  no "*" or literal resource, and each action only on a resource of its own service, either
  this stack's or one named by a Task* parameter;
- what a Task* parameter grants must not reach this stack's own resources: for every action a
  Task statement allows and every resource of this stack of that service, the role denies the
  action on the resource (an `Effect: Deny` statement, which no Allow overrides), unless the
  role itself allows it there for the service (the store's writes to its table, the step
  queue, the bus; IAM cannot tell those from a Task's, and the task invoker refuses them in
  code: shared/aws/src/integrations/own.rs).

AWS actions are found as calls of SDK operations. Every operation of a Rust AWS SDK client is a
method taking no argument but `&self` (`client.put_item()` returns a fluent builder), and the SDK
crates list them one per file in `src/client/`. A call `.name()` with no argument, in a crate
whose function depends on an SDK crate that has an operation `name`, is that operation. It
cannot be one of our methods: a method of ours with the same name and no argument is reported
as a conflict to rename, and methods taking arguments (our `invoke(&self, request)`) never match.
The operation's IAM action is the SDK's own operation name (`Metadata::new("PutItem", …)`)
under the service's IAM prefix, with the few renames IAM makes (`Invoke` is
`lambda:InvokeFunction`).

Run as `python least_privilege.py [ROOT]`: prints one complaint a line and exits 1 if any.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cfnlint.decode import decode

# IAM prefixes of the SDK crates (the service's "signing name" is not always the IAM prefix).
IAM_PREFIXES = {
    "aws-sdk-dynamodb": "dynamodb",
    "aws-sdk-sqs": "sqs",
    "aws-sdk-eventbridge": "events",
    "aws-sdk-lambda": "lambda",
    "aws-sdk-sts": "sts",
}
# Operations whose IAM action is not named after them.
IAM_RENAMES = {
    "lambda:Invoke": "lambda:InvokeFunction",
    "lambda:InvokeWithResponseStream": "lambda:InvokeFunction",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
# The resource types each IAM prefix acts on, in this stack and among the Task parameters.
RESOURCE_TYPES = {
    "dynamodb": {"AWS::DynamoDB::Table"},
    "sqs": {"AWS::SQS::Queue"},
    "events": {"AWS::Events::EventBus"},
    "lambda": {"AWS::Lambda::Function", "AWS::Serverless::Function"},
    "logs": {"AWS::Logs::LogGroup"},
    "sts": {"AWS::IAM::Role"},
}
TASK_PARAMETERS = {
    "TaskLambdaFunctionArns": "lambda",
    "TaskDynamoDbTableArns": "dynamodb",
    "TaskSqsQueueArns": "sqs",
    "TaskEventBusArns": "events",
    # Roles a Task's Credentials.RoleArn may name (sts:AssumeRole).
    "TaskRoleArns": "sts",
}
# What Lambda needs beyond the code: writing the function's logs, and polling its SQS event
# sources (the actions AWSLambdaSQSQueueExecutionRole grants, on the function's queues only).
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
SQS_EVENT_SOURCE_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
# Lambda sends an asynchronous invocation that failed (EventInvokeConfig's OnFailure destination,
# or the function's DeadLetterQueue) with the function's role: of an SQS queue, SendMessage.
DESTINATION_ACTION = "sqs:SendMessage"
# Actions that AWS allows only on "*" (none are used here: every action above supports
# resource-level permissions). An entry would say why, and the template would say it too.
WILDCARD_RESOURCE_ACTIONS: dict[str, str] = {}
# Environment variables Lambda sets itself (reserved: a function cannot set them).
LAMBDA_VARIABLES = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
}
# Set by Lambda from the function's LoggingConfig.
LOGGING_CONFIG_VARIABLES = {"AWS_LAMBDA_LOG_LEVEL", "AWS_LAMBDA_LOG_FORMAT"}
ENV_NAME = re.compile(r"^(QUICKSTEP|AWS)_[A-Z0-9_]+$")


# ------------------------------------------------------------------ Rust sources


@dataclass
class Source:
    """One Rust file with comments removed, string literals blanked (same length, so offsets
    and line numbers hold) and `#[cfg(test)]` items blanked too."""

    path: Path
    code: str
    literals: list[tuple[int, str]]  # (offset of the opening quote, content)

    def line(self, offset: int) -> int:
        return self.code.count("\n", 0, offset) + 1


RAW_STRING = re.compile(r'b?r(#*)"')
CHAR_LITERAL = re.compile(r"'(\\(u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'])'")


def parse_rust(path: Path) -> Source:
    text = path.read_text(encoding="utf-8")
    code, literals = _parsed(text)
    return Source(path, code, literals)


@functools.lru_cache(maxsize=None)
def _parsed(text: str) -> tuple[str, list[tuple[int, str]]]:
    """A file's code and kept literals, by its text: the tests check many copies of the same
    tree (each with one change), so most files are parsed once."""
    out: list[str] = []
    literals: list[tuple[int, str]] = []
    i, n = 0, len(text)

    def blank(s: str) -> str:
        return "".join("\n" if c == "\n" else " " for c in s)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(text[i:j]))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif (m := RAW_STRING.match(text, i)) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = '"' + m.group(1)
            j = text.find(end, m.end())
            j = n if j < 0 else j
            literals.append((m.end() - 1, text[m.end():j]))
            out.append(text[i:m.end()] + blank(text[m.end():j]) + end)
            i = j + len(end)
        elif c == '"' or (c == "b" and text.startswith('b"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_"))):
            start = i + (2 if c == "b" else 1)
            j = start
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            literals.append((start - 1, text[start:j]))
            out.append(text[i:start] + blank(text[start:j]) + '"')
            i = j + 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            m = CHAR_LITERAL.match(text, i)
            if m:
                out.append("'" + "_" * (m.end() - i - 2) + "'")
                i = m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    code = "".join(out)
    code = strip_test_items(code)
    kept = [(o, s) for o, s in literals if code[o] == '"']
    return code, kept


CFG_TEST = re.compile(r"#\[cfg\(test\)\]")


def strip_test_items(code: str) -> str:
    """Blanks every item under `#[cfg(test)]`: to its `;` or its matching closing brace."""
    while m := CFG_TEST.search(code):
        i = m.end()
        # Skip further attributes, then the item up to `;` or its braced body.
        depth, j, n = 0, i, len(code)
        while j < n:
            ch = code[j]
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
            elif depth == 0 and ch == ";":
                j += 1
                break
            elif depth == 0 and ch == "{":
                braces, j = 1, j + 1
                while j < n and braces:
                    braces += {"{": 1, "}": -1}.get(code[j], 0)
                    j += 1
                break
            j += 1
        code = code[: m.start()] + "".join("\n" if c == "\n" else " " for c in code[m.start():j]) + code[j:]
    return code


# ------------------------------------------------------------------ the workspace


@dataclass
class Crate:
    name: str
    lib: str | None  # the library's name in paths (quickstep_aws), if it has one
    root: Path  # directory of Cargo.toml
    lib_path: Path | None
    bins: dict[str, Path]
    path_deps: list[str]  # normal dependencies inside the workspace, by package name
    sdk_deps: list[str]  # aws-sdk-* normal dependencies
    modules: dict[tuple[str, ...], Path] = field(default_factory=dict)


def cargo_metadata(root: Path, no_deps: bool = True) -> dict:
    cmd = ["cargo", "metadata", "--format-version", "1"] + (["--no-deps"] if no_deps else [])
    out = subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def sdk_operations(root: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """For each aws-sdk-* crate the workspace depends on: operation method name ->
    (IAM action, operation name), read from the SDK crate's own sources."""
    meta = cargo_metadata(root, no_deps=False)
    result: dict[str, dict[str, tuple[str, str]]] = {}
    for package in meta["packages"]:
        name = package["name"]
        if not name.startswith("aws-sdk-"):
            continue
        src = Path(package["manifest_path"]).parent / "src"
        prefix = IAM_PREFIXES.get(name)
        ops: dict[str, tuple[str, str]] = {}
        for client_file in sorted((src / "client").glob("*.rs")):
            m = re.search(
                r"pub fn (\w+)\(&self\) -> crate::operation::(\w+)::builders::\w+FluentBuilder",
                client_file.read_text(encoding="utf-8"),
            )
            if not m:
                continue
            operation_file = src / "operation" / f"{m.group(2)}.rs"
            op = re.search(r'Metadata::new\(\s*"(\w+)"', operation_file.read_text(encoding="utf-8"))
            if not op:
                continue
            action = f"{prefix or '?' + name}:{op.group(1)}"
            ops[m.group(1)] = (IAM_RENAMES.get(action, action), op.group(1))
        result[name] = ops
    return result


class Workspace:
    def __init__(self, root: Path):
        self.root = root
        meta = cargo_metadata(root)
        members = set(meta["workspace_members"])
        self.crates: dict[str, Crate] = {}
        for package in meta["packages"]:
            if package["id"] not in members:
                continue
            lib = next((t for t in package["targets"] if "lib" in t["kind"]), None)
            bins = {t["name"]: Path(t["src_path"]) for t in package["targets"] if "bin" in t["kind"]}
            normal = [d for d in package["dependencies"] if d.get("kind") is None]
            crate = Crate(
                name=package["name"],
                lib=lib["name"].replace("-", "_") if lib else None,
                root=Path(package["manifest_path"]).parent,
                lib_path=Path(lib["src_path"]) if lib else None,
                bins=bins,
                path_deps=[d["name"] for d in normal if d.get("path")],
                sdk_deps=[d["name"] for d in normal if d["name"].startswith("aws-sdk-")],
            )
            self.crates[crate.name] = crate
        self._sources: dict[Path, Source] = {}

    def source(self, path: Path) -> Source:
        if path not in self._sources:
            self._sources[path] = parse_rust(path)
        return self._sources[path]

    def crate_at(self, directory: Path) -> Crate | None:
        for crate in self.crates.values():
            if crate.root.resolve() == directory.resolve():
                return crate
        return None

    def closure(self, crate: Crate) -> list[Crate]:
        seen, order, todo = set(), [], [crate.name]
        while todo:
            name = todo.pop()
            if name in seen or name not in self.crates:
                continue
            seen.add(name)
            order.append(self.crates[name])
            todo.extend(self.crates[name].path_deps)
        return order

    # ---- modules

    def module_tree(self, crate: Crate, root_file: Path) -> dict[tuple[str, ...], Path]:
        """Module path -> file, following `mod name;` declarations that are not test-only."""
        tree: dict[tuple[str, ...], Path] = {(): root_file}
        todo = [((), root_file, True)]
        while todo:
            path, file, is_dir_owner = todo.pop()
            base = file.parent if is_dir_owner or file.name == "mod.rs" else file.parent / file.stem
            for m in re.finditer(r"\bmod\s+([a-z_][a-z0-9_]*)\s*;", self.source(file).code):
                name = m.group(1)
                for candidate in (base / f"{name}.rs", base / name / "mod.rs"):
                    if candidate.exists():
                        tree[path + (name,)] = candidate
                        todo.append((path + (name,), candidate, False))
                        break
        return tree

    def reachable_files(self, function: Crate, binary: Path) -> list[tuple[Crate, Path]]:
        """The files whose code the binary can run.

        Starting from the binary's main file, a module is reached when reached code names it
        by path (`crate::store::…`, `quickstep_aws::compose::…`, `use super::x`, a child
        `x::…`), and a child module of a reached module is reached when it holds `impl`
        blocks, since methods and trait implementations run without their module being named.
        A module of free functions that nothing names (shared/aws's `setup`, used only by the
        CLI) cannot run, so its calls do not count.
        """
        crates = self.closure(function)
        by_lib = {c.lib: c for c in crates if c.lib}
        trees: dict[str, dict[tuple[str, ...], Path]] = {function.name: self.module_tree(function, binary)}

        def tree_of(crate: Crate) -> dict[tuple[str, ...], Path]:
            if crate.name not in trees:
                trees[crate.name] = self.module_tree(crate, crate.lib_path) if crate.lib_path else {}
            return trees[crate.name]

        reached: set[tuple[str, tuple[str, ...]]] = set()
        todo: list[tuple[Crate, tuple[str, ...]]] = [(function, ())]
        while todo:
            crate, module = todo.pop()
            if (crate.name, module) in reached:
                continue
            reached.add((crate.name, module))
            tree = tree_of(crate)
            code = self.source(tree[module]).code
            children = {p[-1] for p in tree if len(p) == len(module) + 1 and p[:-1] == module}
            for child in children:
                if re.search(r"\bimpl\b", self.source(tree[module + (child,)]).code):
                    todo.append((crate, module + (child,)))
            for segments in referenced_paths(code):
                head, rest = segments[0], segments[1:]
                if head == "crate":
                    target, path = crate, rest
                elif head == "self":
                    target, path = crate, list(module) + rest
                elif head == "super":
                    up = list(module)
                    while segments and segments[0] == "super":
                        up, segments = up[:-1], segments[1:]
                    target, path = crate, up + segments
                elif head in by_lib and head not in children:
                    target, path = by_lib[head], rest
                elif head in children:
                    target, path = crate, list(module) + segments
                else:
                    continue
                target_tree = tree_of(target)
                if not target_tree:
                    continue
                for length in range(len(path), -1, -1):
                    if tuple(path[:length]) in target_tree:
                        todo.append((target, tuple(path[:length])))
                        break
        files = []
        for crate in crates:
            for module, file in sorted(trees.get(crate.name, {}).items()):
                if (crate.name, module) in reached:
                    files.append((crate, file))
        return files


def referenced_paths(code: str) -> list[list[str]]:
    """Every `a::b::c` path in the code, `use` trees expanded (`use crate::{a, b::c}`)."""
    paths = []
    for m in re.finditer(r"\buse\s+([^;]*);", code):
        paths.extend(expand_use_tree(re.sub(r"\s+", "", m.group(1))))
    for m in re.finditer(r"\b([A-Za-z_][A-Za-z0-9_]*)((?:\s*::\s*[A-Za-z_][A-Za-z0-9_]*)+)", code):
        paths.append([m.group(1)] + re.findall(r"[A-Za-z_][A-Za-z0-9_]*", m.group(2)))
    return paths


def expand_use_tree(tree: str, prefix: list[str] | None = None) -> list[list[str]]:
    prefix = prefix or []
    if "{" not in tree:
        return [prefix + [s for s in re.split(r"::| as ", tree) if s and s != "*"]]
    head, _, rest = tree.partition("{")
    inner = rest[: rest.rfind("}")]
    base = prefix + [s for s in head.split("::") if s]
    parts, depth, current = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        current += ch
    parts.append(current)
    out = [base]
    for part in parts:
        if part and part != "self":
            out.extend(expand_use_tree(part, base))
    return out


# ------------------------------------------------------------------ what the code does


@dataclass
class CodeFacts:
    actions: dict[str, str]  # IAM action -> first place it is called
    variables: dict[str, str]  # environment variable -> first place it is read
    conflicts: list[str]


ZERO_ARG_CALL = re.compile(r"\.\s*([a-z_][a-z0-9_]*)\s*\(\s*\)")
ZERO_ARG_METHOD = re.compile(r"\bfn\s+([a-z_][a-z0-9_]*)\s*(?:<[^>]*>)?\s*\(\s*&?\s*(?:'\w+\s+)?(?:mut\s+)?self\s*\)")
ENV_CALL = re.compile(r"\benv\s*::\s*var(?:_os)?\s*\(\s*\"")
COMPILE_TIME_ENV = re.compile(r"\b(?:option_)?env!\s*\(\s*\"")


def code_facts(ws: Workspace, function: Crate, binary: Path, sdk: dict[str, dict[str, tuple[str, str]]]) -> CodeFacts:
    crates = ws.closure(function)
    sdk_crates = sorted({s for c in crates for s in c.sdk_deps})
    operations: dict[str, list[tuple[str, str]]] = {}
    for sdk_crate in sdk_crates:
        for method, (action, _) in sdk.get(sdk_crate, {}).items():
            operations.setdefault(method, []).append((sdk_crate, action))
    # Our own methods that take no argument, anywhere in the crates the function is built from.
    own_methods: dict[str, str] = {}
    for crate in crates:
        for file in sorted((crate.root / "src").rglob("*.rs")):
            src = ws.source(file)
            for m in ZERO_ARG_METHOD.finditer(src.code):
                own_methods.setdefault(m.group(1), where(ws, src, m.start()))
    facts = CodeFacts({}, {}, [])
    for crate, file in ws.reachable_files(function, binary):
        src = ws.source(file)
        for m in ZERO_ARG_CALL.finditer(src.code):
            name = m.group(1)
            if name not in operations:
                continue
            place = where(ws, src, m.start(1))
            if name in own_methods:
                facts.conflicts.append(
                    f"`.{name}()` at {place} may be the SDK operation of "
                    f"{', '.join(c for c, _ in operations[name])} or our method at "
                    f"{own_methods[name]}: rename ours, so the call can be told apart"
                )
                continue
            candidates = operations[name]
            if len(candidates) > 1:
                named = [a for c, a in candidates if c.replace("-", "_") in src.code]
                if len(named) != 1:
                    facts.conflicts.append(
                        f"`.{name}()` at {place} is an operation of several SDKs "
                        f"({', '.join(c for c, _ in candidates)}): cannot tell which"
                    )
                    continue
                action = named[0]
            else:
                action = candidates[0][1]
            facts.actions.setdefault(action, place)
        compile_time = {m.end() - 1 for m in COMPILE_TIME_ENV.finditer(src.code)}
        env_calls = {m.end() - 1 for m in ENV_CALL.finditer(src.code)}
        for offset, text in src.literals:
            if offset in compile_time:
                continue
            if ENV_NAME.match(text) or offset in env_calls:
                facts.variables.setdefault(text, where(ws, src, offset))
    return facts


def where(ws: Workspace, src: Source, offset: int) -> str:
    try:
        name = src.path.resolve().relative_to(ws.root.resolve())
    except ValueError:
        name = src.path
    return f"{name}:{src.line(offset)}"


# ------------------------------------------------------------------ the template


def load_template(path: Path) -> dict:
    template, matches = decode(str(path))
    if matches:
        raise ValueError(f"{path}: {matches[0]}")
    return template


def branches(value) -> list:
    """The values `value` can take: both sides of every Fn::If, AWS::NoValue dropped."""
    if isinstance(value, dict) and list(value) == ["Fn::If"]:
        _, yes, no = value["Fn::If"]
        return branches(yes) + branches(no)
    if isinstance(value, dict) and value == {"Ref": "AWS::NoValue"}:
        return []
    return [value]


def as_list(value) -> list:
    out = []
    for v in branches(value):
        if isinstance(v, list):
            for item in v:
                out.extend(branches(item))
        else:
            out.append(v)
    return out


def referenced_logical_id(value) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return target[0] if isinstance(target, list) else str(target).split(".")[0]
    return None


@dataclass
class Grant:
    action: str
    resource: str  # a logical id, a parameter name, or the literal text
    kind: str  # "own", "task", "literal", "wildcard", "unknown"
    type: str | None  # resource type (own) or IAM prefix (task)
    statement: str


def role_documents(template: dict, role: str) -> list[dict]:
    """The policy documents of `role`: inline, and of the policies attached to it."""
    resources = template.get("Resources", {})
    documents = []
    for policy in as_list(resources[role].get("Properties", {}).get("Policies", [])):
        documents.append(policy.get("PolicyDocument", {}))
    for resource in resources.values():
        if resource.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::ManagedPolicy"):
            p = resource.get("Properties", {})
            attached = as_list(p.get("Roles", [])) + as_list(p.get("RoleName", []))
            if any(referenced_logical_id(r) == role for r in attached):
                documents.append(p.get("PolicyDocument", {}))
    return documents


def role_denials(template: dict, role: str) -> set[tuple[str, str]]:
    """(action, logical id) pairs the role's Deny statements cover. Only a resource given by
    Ref or GetAtt counts: a Sub (`${Fn.Arn}:*`) names something else than the resource itself."""
    denied = set()
    for document in role_documents(template, role):
        for statement in as_list(document.get("Statement", [])):
            if statement.get("Effect") != "Deny":
                continue
            for action in as_list(statement.get("Action", [])):
                for resource in as_list(statement.get("Resource", [])):
                    logical_id = referenced_logical_id(resource)
                    if logical_id is not None:
                        denied.add((str(action), logical_id))
    return denied


def role_grants(template: dict, role: str) -> tuple[list[Grant], list[str]]:
    resources = template.get("Resources", {})
    problems: list[str] = []
    documents = []
    props = resources[role].get("Properties", {})
    if props.get("ManagedPolicyArns"):
        problems.append(f"role {role} attaches managed policies, which this check cannot read: write their statements inline")
    for policy in as_list(props.get("Policies", [])):
        documents.append(policy.get("PolicyDocument", {}))
    for logical_id, resource in resources.items():
        if resource.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::ManagedPolicy"):
            p = resource.get("Properties", {})
            attached = as_list(p.get("Roles", [])) + as_list(p.get("RoleName", []))
            if any(referenced_logical_id(r) == role for r in attached):
                documents.append(p.get("PolicyDocument", {}))
    grants = []
    for document in documents:
        for statement in as_list(document.get("Statement", [])):
            sid = statement.get("Sid", "(no Sid)")
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement or "NotResource" in statement:
                problems.append(f"role {role} statement {sid} uses NotAction/NotResource: name what it allows instead")
                continue
            for action in as_list(statement.get("Action", [])):
                for resource in as_list(statement.get("Resource", [])):
                    grants.append(classify(template, str(action), resource, sid))
    return grants, problems


def classify(template: dict, action: str, resource, sid: str) -> Grant:
    resources = template.get("Resources", {})
    if resource == "*":
        return Grant(action, "*", "wildcard", None, sid)
    if isinstance(resource, str):
        return Grant(action, resource, "literal", None, sid)
    logical_id = referenced_logical_id(resource)
    if logical_id in TASK_PARAMETERS:
        return Grant(action, logical_id, "task", TASK_PARAMETERS[logical_id], sid)
    if logical_id in resources:
        return Grant(action, logical_id, "own", resources[logical_id].get("Type"), sid)
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        text = resource["Fn::Sub"] if isinstance(resource["Fn::Sub"], str) else resource["Fn::Sub"][0]
        if "*" in text:
            return Grant(action, text, "wildcard", None, sid)
        ids = [i.split(".")[0] for i in re.findall(r"\$\{([^}!]+)\}", text) if i.split(".")[0] in resources]
        if len(ids) == 1:
            return Grant(action, ids[0], "own", resources[ids[0]].get("Type"), sid)
    return Grant(action, json.dumps(resource), "unknown", None, sid)


def failure_destinations(props: dict) -> set[str]:
    """The SQS queues (logical ids) Lambda sends the function's failed asynchronous invocations
    to: EventInvokeConfig's OnFailure destination, or the DeadLetterQueue."""
    queues = set()
    on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure", {})
    if on_failure.get("Type") == "SQS":
        queues.add(referenced_logical_id(on_failure.get("Destination")))
    dead_letters = props.get("DeadLetterQueue", {})
    if dead_letters.get("Type") == "SQS":
        queues.add(referenced_logical_id(dead_letters.get("TargetArn")))
    return {q for q in queues if q}


def reachable_own_resources(template: dict, role: str, grants: list[Grant]) -> list[str]:
    """What a Task* parameter could grant on this stack's own resources, neither denied by the
    role nor needed by the service itself (which the role then allows on that very resource)."""
    resources = template.get("Resources", {})
    own = {(g.action, g.resource) for g in grants if g.kind == "own"}
    denied = role_denials(template, role)
    problems = []
    task_grants = sorted({
        (g.action, g.resource, g.type) for g in grants
        if g.kind == "task" and g.action.split(":")[0] == g.type  # (others are complained of)
    })
    for action, parameter, prefix in task_grants:
        for logical_id, resource in resources.items():
            if resource.get("Type") not in RESOURCE_TYPES.get(prefix, set()):
                continue
            if (action, logical_id) in own or (action, logical_id) in denied:
                continue
            problems.append(
                f"role {role} lets {parameter} grant {action} on this stack's {logical_id}: "
                "deny it (Effect: Deny), so no Task can act with the service's own resources")
    return problems


def environment(template: dict, function: dict) -> dict:
    merged = dict(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    merged.update(function.get("Properties", {}).get("Environment", {}).get("Variables", {}))
    return merged


# ------------------------------------------------------------------ the check


@dataclass
class Report:
    complaints: list[str]
    # Per function: what the code does, and variables the template sets that no code reads.
    actions: dict[str, dict[str, str]]
    variables: dict[str, dict[str, str]]
    unread: dict[str, set[str]]


def check(root: Path, sdk: dict | None = None, template_path: Path | None = None) -> Report:
    root = Path(root)
    template = load_template(template_path or root / "template.yaml")
    ws = Workspace(root)
    sdk = sdk if sdk is not None else sdk_operations(root)
    resources = template.get("Resources", {})
    complaints: list[str] = []
    report = Report(complaints, {}, {}, {})
    for fid, function in resources.items():
        if function.get("Type") != "AWS::Serverless::Function":
            continue
        props = function.get("Properties", {})
        crate = ws.crate_at(root / str(props.get("CodeUri", "")))
        if crate is None:
            complaints.append(f"{fid}: CodeUri {props.get('CodeUri')!r} is not a crate of the workspace")
            continue
        binary_name = function.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        binary = crate.bins.get(binary_name) if binary_name else next(iter(crate.bins.values()), None)
        if binary is None:
            complaints.append(f"{fid}: crate {crate.name} has no binary {binary_name!r}")
            continue
        facts = code_facts(ws, crate, binary, sdk)
        report.actions[fid] = facts.actions
        report.variables[fid] = facts.variables
        complaints.extend(f"{fid}: {c}" for c in facts.conflicts)

        # Environment.
        env = environment(template, function)
        logging = {**template.get("Globals", {}).get("Function", {}).get("LoggingConfig", {}), **props.get("LoggingConfig", {})}
        provided = set(LAMBDA_VARIABLES) | (LOGGING_CONFIG_VARIABLES if logging else set())
        for name, place in sorted(facts.variables.items()):
            if name not in env and name not in provided:
                complaints.append(f"{fid}: reads {name} ({place}) but the template does not set it")
        report.unread[fid] = {n for n in env if n not in facts.variables}

        # The role.
        if "Policies" in props:
            complaints.append(f"{fid}: has Policies: SAM would add them to a generated role; give the function its own role")
        role = referenced_logical_id(props.get("Role"))
        if role is None or resources.get(role, {}).get("Type") != "AWS::IAM::Role":
            complaints.append(f"{fid}: its Role is not an AWS::IAM::Role of this template")
            continue
        grants, problems = role_grants(template, role)
        complaints.extend(f"{fid}: {p}" for p in problems)
        log_group = referenced_logical_id(props.get("LoggingConfig", {}).get("LogGroup"))
        event_queues = {
            referenced_logical_id(e.get("Properties", {}).get("Queue"))
            for e in props.get("Events", {}).values()
            if e.get("Type") == "SQS"
        }
        destinations = failure_destinations(props)
        allowed: set[str] = set()
        for g in grants:
            prefix = g.action.split(":")[0]
            if "*" in g.action or "?" in g.action:
                complaints.append(f"{fid}: role {role} allows {g.action} ({g.statement}): wildcard actions are not allowed")
                continue
            if g.kind == "wildcard":
                if g.action not in WILDCARD_RESOURCE_ACTIONS:
                    complaints.append(f"{fid}: role {role} allows {g.action} on {g.resource!r} ({g.statement}): name the resources")
                    continue
            elif g.kind in ("literal", "unknown"):
                complaints.append(
                    f"{fid}: role {role} allows {g.action} on {g.resource} ({g.statement}): "
                    "only this stack's resources and the Task* parameters may be named"
                )
                continue
            elif g.kind == "own" and g.type not in RESOURCE_TYPES.get(prefix, set()):
                complaints.append(f"{fid}: role {role} allows {g.action} on {g.resource}, a {g.type} ({g.statement})")
                continue
            elif g.kind == "task" and g.type != prefix:
                complaints.append(f"{fid}: role {role} allows {g.action} on the {g.resource} parameter ({g.statement})")
                continue
            if g.action in LOG_ACTIONS:
                if g.resource != log_group:
                    complaints.append(f"{fid}: role {role} allows {g.action} on {g.resource}, not the function's own log group")
                continue
            if g.action in SQS_EVENT_SOURCE_ACTIONS and g.action not in facts.actions:
                if g.resource not in event_queues:
                    complaints.append(f"{fid}: role {role} allows {g.action} on {g.resource}, which is not one of its SQS event sources")
                continue
            if g.action == DESTINATION_ACTION and g.kind == "own" and g.resource in destinations:
                continue
            if g.action not in facts.actions:
                complaints.append(f"{fid}: role {role} allows {g.action}, which its code never calls ({g.statement})")
                continue
            allowed.add(g.action)
        for action, place in sorted(facts.actions.items()):
            if action not in allowed:
                complaints.append(f"{fid}: code calls {action} ({place}) but role {role} does not allow it")
        own_grants = {(g.action, g.resource) for g in grants if g.kind == "own"}
        for queue in sorted(destinations):
            if (DESTINATION_ACTION, queue) not in own_grants:
                complaints.append(
                    f"{fid}: Lambda sends its failed invocations to {queue} with role {role}, "
                    f"which does not allow {DESTINATION_ACTION} on it")
        complaints.extend(f"{fid}: {c}" for c in reachable_own_resources(template, role, grants))
    # A complaint repeated per grant (one per resource) is said once.
    report.complaints = list(dict.fromkeys(complaints))
    return report


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
    report = check(root)
    for fid, actions in sorted(report.actions.items()):
        print(f"{fid}: code calls {', '.join(sorted(actions))}")
    for complaint in report.complaints:
        print(complaint)
    return 1 if report.complaints else 0


if __name__ == "__main__":
    sys.exit(main())
