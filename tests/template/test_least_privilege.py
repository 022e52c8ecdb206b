"""template.yaml against the code: the real template passes, and each way of breaking least
privilege or the environment, made on a copy of the workspace, is reported exactly."""

from __future__ import annotations

import re
import shutil
import tempfile
import unittest
from pathlib import Path

import least_privilege as lp

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ["ApiFunction", "WorkerFunction", "TriggerFunction"]


def keep_off(fid: str, role: str, parameter: str, action: str, resource: str) -> str:
    """The complaint about a Task* parameter that could grant an action on the stack's own resource."""
    return (f"{fid}: role {role} lets {parameter} grant {action} on this stack's {resource}: "
            "deny it (Effect: Deny), so no Task can act with the service's own resources")
ROLES = {"ApiFunction": "ApiRole", "WorkerFunction": "WorkerRole", "TriggerFunction": "TriggerRole"}
# Set by the template for code that is being written alongside it (the deployment's cap on an
# execution's duration); nothing else may be set that no code reads.
EXPECTED_UNREAD = {"QUICKSTEP_EXECUTION_TIMEOUT_SECONDS"}


class Copy:
    """A scratch copy of the workspace sources and template, to break on purpose."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="quickstep-template-"))
        for name in ("Cargo.toml", "Cargo.lock", "template.yaml"):
            shutil.copy2(ROOT / name, self.dir / name)
        for folder in ("functions", "shared"):
            # Build output and what the fuzzers keep (untracked, and changing while they run).
            ignored = shutil.ignore_patterns("target", "corpus", "artifacts")
            shutil.copytree(ROOT / folder, self.dir / folder, ignore=ignored)

    def edit(self, relative: str, old: str, new: str, after: str | None = None) -> None:
        """Replaces the first `old` (after the first `after`, if given) in a file."""
        path = self.dir / relative
        text = path.read_text()
        start = text.index(after) if after else 0
        at = text.index(old, start)
        path.write_text(text[:at] + new + text[at + len(old):])

    def append(self, relative: str, code: str) -> int:
        """Appends code to a file; returns the line number where it starts."""
        path = self.dir / relative
        text = path.read_text()
        path.write_text(text + code)
        return text.count("\n") + 1

    def line_of(self, relative: str, needle: str) -> int:
        text = (self.dir / relative).read_text()
        return text[: text.index(needle)].count("\n") + 1

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class LeastPrivilege(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sdk = lp.sdk_operations(ROOT)
        cls.report = lp.check(ROOT, cls.sdk)

    def setUp(self):
        self.copy = Copy()
        self.addCleanup(self.copy.close)

    def complaints(self) -> list[str]:
        return lp.check(self.copy.dir, self.sdk).complaints

    # ---- the real template

    def test_template_allows_exactly_what_the_code_does(self):
        self.assertEqual(self.report.complaints, [])

    def test_scanner_finds_the_calls_the_code_makes(self):
        for fid in FUNCTIONS:
            actions = self.report.actions[fid]
            self.assertLessEqual(
                {"dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
                 "sqs:SendMessage", "events:PutEvents", "lambda:InvokeFunction", "sts:AssumeRole"},
                set(actions), fid)
            # The SDK's Invoke in lambda.rs, not our TaskInvoker::invoke(&self, request).
            self.assertTrue(actions["lambda:InvokeFunction"].startswith("shared/aws/src/lambda.rs:"), actions)
            # A Task's Credentials.RoleArn.
            self.assertTrue(actions["sts:AssumeRole"].startswith("shared/aws/src/integrations/roles.rs:"), actions)
            # setup.rs (used by the CLI only) creates resources; no function can reach it.
            self.assertNotIn("dynamodb:CreateTable", actions)
            self.assertNotIn("sqs:CreateQueue", actions)

    def test_template_sets_no_variable_that_no_code_reads(self):
        for fid in FUNCTIONS:
            self.assertLessEqual(self.report.unread[fid], EXPECTED_UNREAD, fid)

    # ---- widening a policy

    def test_an_action_the_code_never_calls(self):
        self.copy.edit("template.yaml", "dynamodb:DeleteItem]", "dynamodb:DeleteItem, dynamodb:Scan]", after="  ApiRole:")
        self.assertEqual(self.complaints(), [
            "ApiFunction: role ApiRole allows dynamodb:Scan, which its code never calls (Store)",
        ])

    def test_a_wildcard_action(self):
        self.copy.edit("template.yaml", "Action: sqs:SendMessage", "Action: sqs:*", after="  TriggerRole:")
        self.assertEqual(self.complaints(), [
            # sqs:SendMessage stays allowed on the Task queues, so the code's call is still covered.
            "TriggerFunction: role TriggerRole allows sqs:* (StepQueue): wildcard actions are not allowed",
            # And the service no longer sends to its step queue by right, so a Task must not either.
            keep_off("TriggerFunction", "TriggerRole", "TaskSqsQueueArns", "sqs:SendMessage", "StepQueue"),
        ])

    def test_a_wildcard_resource(self):
        self.copy.edit("template.yaml", "Resource: !GetAtt EventBus.Arn", 'Resource: "*"', after="  WorkerRole:")
        self.assertEqual(self.complaints(), [
            "WorkerFunction: role WorkerRole allows events:PutEvents on '*' (FailureEvents): name the resources",
            keep_off("WorkerFunction", "WorkerRole", "TaskEventBusArns", "events:PutEvents", "EventBus"),
        ])

    def test_a_resource_outside_the_stack(self):
        self.copy.edit("template.yaml", "Resource: !GetAtt ExecutionsTable.Arn",
                       "Resource: arn:aws:dynamodb:us-east-1:123456789012:table/other", after="  ApiRole:")
        self.assertEqual(self.complaints(), [
            f"ApiFunction: role ApiRole allows dynamodb:{action} on arn:aws:dynamodb:us-east-1:123456789012:table/other "
            "(Store): only this stack's resources and the Task* parameters may be named"
            for action in ("Query", "GetItem", "PutItem", "DeleteItem")
        ] + [
            # GetItem, PutItem and DeleteItem stay allowed on the Task tables, Query on the
            # table's listing index (the check is by action, not by resource).
            keep_off("ApiFunction", "ApiRole", "TaskDynamoDbTableArns", f"dynamodb:{action}", "ExecutionsTable")
            for action in ("DeleteItem", "GetItem", "PutItem")
        ])

    def test_an_action_on_another_service_resource(self):
        self.copy.edit("template.yaml", "Resource: !GetAtt StepQueue.Arn", "Resource: !GetAtt ExecutionsTable.Arn",
                       after="  ApiRole:")
        self.assertEqual(self.complaints(), [
            "ApiFunction: role ApiRole allows sqs:SendMessage on ExecutionsTable, a AWS::DynamoDB::Table (StepQueue)",
            keep_off("ApiFunction", "ApiRole", "TaskSqsQueueArns", "sqs:SendMessage", "StepQueue"),
        ])

    def test_event_source_actions_only_on_the_functions_queues(self):
        self.copy.edit("template.yaml", "Action: sqs:SendMessage",
                       "Action: [sqs:SendMessage, sqs:ReceiveMessage]", after="  ApiRole:")
        self.assertEqual(self.complaints(), [
            "ApiFunction: role ApiRole allows sqs:ReceiveMessage on StepQueue, which is not one of its SQS event sources",
        ])

    def test_another_functions_log_group(self):
        self.copy.edit("template.yaml", "Resource: !GetAtt TriggerLogGroup.Arn", "Resource: !GetAtt ApiLogGroup.Arn")
        self.assertEqual(self.complaints(), [
            "TriggerFunction: role TriggerRole allows logs:CreateLogStream on ApiLogGroup, not the function's own log group",
            "TriggerFunction: role TriggerRole allows logs:PutLogEvents on ApiLogGroup, not the function's own log group",
        ])

    def test_a_sam_generated_role(self):
        self.copy.edit("template.yaml", "      Role: !GetAtt WorkerRole.Arn\n",
                       "      Policies: [AmazonSQSFullAccess]\n")
        self.assertEqual(self.complaints(), [
            "WorkerFunction: has Policies: SAM would add them to a generated role; give the function its own role",
            "WorkerFunction: its Role is not an AWS::IAM::Role of this template",
        ])

    # ---- the service's own resources, out of the Tasks' reach

    def test_a_task_parameter_that_could_grant_the_services_own_table(self):
        self.copy.edit("template.yaml",
                       "              - Sid: TasksKeepOffTable\n                Effect: Deny\n"
                       "                Action: dynamodb:UpdateItem\n"
                       "                Resource: !GetAtt ExecutionsTable.Arn\n", "", after="  ApiRole:")
        self.assertEqual(self.complaints(), [
            keep_off("ApiFunction", "ApiRole", "TaskDynamoDbTableArns", "dynamodb:UpdateItem", "ExecutionsTable"),
        ])

    def test_a_task_parameter_that_could_grant_the_dead_letter_queues(self):
        self.copy.edit("template.yaml", "Resource: [!GetAtt DeadLetterQueue.Arn, !GetAtt TriggerDeadLetterQueue.Arn]",
                       "Resource: !GetAtt DeadLetterQueue.Arn", after="  WorkerRole:")
        self.assertEqual(self.complaints(), [
            keep_off("WorkerFunction", "WorkerRole", "TaskSqsQueueArns", "sqs:SendMessage", "TriggerDeadLetterQueue"),
        ])

    def test_a_task_parameter_that_could_grant_the_stacks_functions_and_roles(self):
        self.copy.edit("template.yaml", "              - !GetAtt WorkerFunction.Arn\n", "",
                       after="  TasksKeepOffFunctionsAndRoles:")
        self.copy.edit("template.yaml", "[!GetAtt ApiRole.Arn, !GetAtt WorkerRole.Arn,", "[!GetAtt WorkerRole.Arn,",
                       after="  TasksKeepOffFunctionsAndRoles:")
        # A Sub of the ARN (its versions, `${WorkerFunction.Arn}:*`) is not the function itself.
        self.assertEqual(self.complaints(), [
            message
            for fid in FUNCTIONS
            for message in (
                keep_off(fid, ROLES[fid], "TaskLambdaFunctionArns", "lambda:InvokeFunction", "WorkerFunction"),
                keep_off(fid, ROLES[fid], "TaskRoleArns", "sts:AssumeRole", "ApiRole"),
            )
        ])

    def test_the_triggers_failure_destination_needs_its_permission(self):
        self.copy.edit("template.yaml", "              - Sid: FailedStarts\n", "              - Sid: FailedStarts\n"
                       "                Effect: Deny\n                NotAction: sqs:SendMessage\n"
                       "                Resource: \"*\"\n              - Sid: WasFailedStarts\n")
        self.copy.edit("template.yaml", "Resource: !GetAtt TriggerDeadLetterQueue.Arn\n",
                       "Resource: !GetAtt TriggerLogGroup.Arn\n", after="Sid: WasFailedStarts")
        self.assertEqual(self.complaints(), [
            "TriggerFunction: role TriggerRole allows sqs:SendMessage on TriggerLogGroup, a AWS::Logs::LogGroup "
            "(WasFailedStarts)",
            "TriggerFunction: Lambda sends its failed invocations to TriggerDeadLetterQueue with role TriggerRole, "
            "which does not allow sqs:SendMessage on it",
            keep_off("TriggerFunction", "TriggerRole", "TaskSqsQueueArns", "sqs:SendMessage", "TriggerDeadLetterQueue"),
        ])

    def test_task_roles_only_from_their_parameter(self):
        self.copy.edit("template.yaml", "Resource: !Ref TaskRoleArns", "Resource: !Ref TaskLambdaFunctionArns",
                       after="  ApiRole:")
        self.assertEqual(self.complaints(), [
            "ApiFunction: role ApiRole allows sts:AssumeRole on the TaskLambdaFunctionArns parameter (TaskRoles)",
            f"ApiFunction: code calls sts:AssumeRole ({self.report.actions['ApiFunction']['sts:AssumeRole']}) "
            "but role ApiRole does not allow it",
        ])

    # ---- code that does more

    def test_a_call_without_its_permission(self):
        line = self.copy.append("shared/aws/src/store/mod.rs", (
            "\nimpl DynamoStore {\n"
            "    pub async fn count_items(&self) -> usize {\n"
            "        let out = self.client.scan().table_name(&self.table).send().await;\n"
            "        out.map(|o| o.items().len()).unwrap_or(0)\n"
            "    }\n"
            "}\n"))
        self.assertEqual(self.complaints(), [
            f"{fid}: code calls dynamodb:Scan (shared/aws/src/store/mod.rs:{line + 3}) but role {ROLES[fid]} does not allow it"
            for fid in FUNCTIONS
        ])

    def test_a_new_integration_in_a_child_module(self):
        # How a new Task integration arrives: a file of its own under integrations/.
        self.copy.edit("shared/aws/src/integrations/mod.rs", "mod dynamodb;",
                       "mod dynamodb;\nmod dynamodb_batch;")
        (self.copy.dir / "shared/aws/src/integrations/dynamodb_batch.rs").write_text(
            "pub(super) struct Tables(pub aws_sdk_dynamodb::Client);\n"
            "impl Tables {\n"
            "    pub async fn write(&self) {\n"
            "        let _ = self.0.batch_write_item().send().await;\n"
            "    }\n"
            "}\n")
        self.assertEqual(self.complaints(), [
            f"{fid}: code calls dynamodb:BatchWriteItem (shared/aws/src/integrations/dynamodb_batch.rs:4) "
            f"but role {ROLES[fid]} does not allow it"
            for fid in FUNCTIONS
        ])

    def test_a_call_in_a_module_that_becomes_reachable(self):
        # setup.rs calls CreateTable, but only the CLI uses it, until compose.rs does too.
        self.assertEqual(self.complaints(), [])
        self.copy.append("shared/aws/src/compose.rs",
                         "\npub use crate::setup::create_resources as provision;\n")
        line = self.copy.line_of("shared/aws/src/setup.rs", ".create_table()")
        self.assertIn(
            f"ApiFunction: code calls dynamodb:CreateTable (shared/aws/src/setup.rs:{line}) but role ApiRole does not allow it",
            self.complaints())

    def test_a_call_in_tests_needs_no_permission(self):
        self.copy.append("shared/aws/src/store/mod.rs", (
            "\n#[cfg(test)]\nmod more_tests {\n"
            "    async fn scan(client: &aws_sdk_dynamodb::Client) { let _ = client.scan().send().await; }\n"
            "}\n"))
        self.assertEqual(self.complaints(), [])

    def test_our_method_named_like_an_sdk_operation(self):
        line = self.copy.append("shared/aws/src/queue.rs", (
            "\nimpl SqsQueue {\n"
            "    pub fn list_queues(&self) -> usize { 0 }\n"
            "    pub fn how_many(&self) -> usize { self.list_queues() }\n"
            "}\n"))
        self.assertEqual(self.complaints(), [
            f"{fid}: `.list_queues()` at shared/aws/src/queue.rs:{line + 3} may be the SDK operation of "
            f"aws-sdk-sqs or our method at shared/aws/src/queue.rs:{line + 2}: rename ours, so the call can be "
            "told apart"
            for fid in FUNCTIONS
        ])

    # ---- the environment

    def test_a_variable_the_template_does_not_set(self):
        self.copy.edit("functions/quickstep-worker/src/main.rs", "    let dead_letters =",
                       '    let _batch = std::env::var("QUICKSTEP_BATCH_LIMIT");\n    let dead_letters =')
        line = self.copy.line_of("functions/quickstep-worker/src/main.rs", "QUICKSTEP_BATCH_LIMIT")
        self.assertEqual(self.complaints(), [
            f"WorkerFunction: reads QUICKSTEP_BATCH_LIMIT (functions/quickstep-worker/src/main.rs:{line}) "
            "but the template does not set it",
        ])

    def test_a_variable_removed_from_the_template(self):
        self.copy.edit("template.yaml", "        QUICKSTEP_STEP_QUEUE_URL: !Ref StepQueue\n", "")
        self.assertEqual(self.complaints(), [
            f"{fid}: reads QUICKSTEP_STEP_QUEUE_URL ({self.report.variables[fid]['QUICKSTEP_STEP_QUEUE_URL']}) "
            "but the template does not set it"
            for fid in FUNCTIONS
        ])


class RustSources(unittest.TestCase):
    def test_comments_strings_and_tests_are_not_code(self):
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "x.rs"
            path.write_text(
                '// client.scan()\n'
                'let s = "a.scan() { QUICKSTEP_A";\n'
                "let c = '{';\n"
                'let r = r#"}"#;\n'
                "#[cfg(test)]\nmod tests { fn f() { g.scan(); } }\n"
                'fn h() { env!("QUICKSTEP_B"); }\n')
            src = lp.parse_rust(path)
            self.assertNotIn("scan", src.code)
            self.assertEqual([s for _, s in src.literals], ["a.scan() { QUICKSTEP_A", "}", "QUICKSTEP_B"])
            self.assertEqual(src.code.count("\n"), 7)
            self.assertIsNotNone(re.search(r"fn h\(\)", src.code))

    def test_use_trees(self):
        self.assertEqual(
            lp.expand_use_tree("crate::{a::X,b::{c,d::Y},self}"),
            [["crate"], ["crate", "a", "X"], ["crate", "b"], ["crate", "b", "c"], ["crate", "b", "d", "Y"]])


if __name__ == "__main__":
    unittest.main()
