"""`quickstep serve` with real Step Functions clients: boto3 and the AWS CLI.

Starts the debug `quickstep serve` (built by tests/quickstep-binary) on a free port with the virtual clock (so a one-hour Wait
takes no time), then drives it as Step Functions is driven: the life of a state machine and its
executions, Step Functions' error names, history pages, definition validation. The AWS CLI is
taken from .venv/clients (tests/run installs it there, apart from the other tools' packages).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import boto3
import botocore.exceptions

ROOT = Path(__file__).resolve().parents[2]
AWS_CLI = ROOT / ".venv" / "clients" / "bin" / "aws"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "quickstep",
    "AWS_SECRET_ACCESS_KEY": "quickstep",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    # The SDKs send StartSyncExecution to `sync-<host>` (the API's host prefix), which a local
    # endpoint does not have: this setting, which every AWS SDK and the CLI read, turns it off.
    "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
}
ROLE = "arn:aws:iam::123456789012:role/quickstep"

GREETER = {
    "Comment": "Greets, then waits an hour (no time on the virtual clock).",
    "StartAt": "Greet",
    "States": {
        "Greet": {
            "Type": "Pass",
            "Parameters": {"greeting.$": "States.Format('hello {}', $.who)", "pause.$": "$.pause"},
            "Next": "Wait",
        },
        "Wait": {"Type": "Wait", "SecondsPath": "$.pause", "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"greeting.$": "$.greeting"}, "End": True},
    },
}
# Step Functions Local's mocked testing: the server reads this file through SFN_MOCK_CONFIG.
MOCK_CONFIG = {
    "StateMachines": {"orders": {"TestCases": {"Paid": {"Charge": "ChargeOk"}}}},
    "MockedResponses": {"ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"paid": True}}}}},
}
APPROVER = {"StartAt": "Ask", "States": {"Ask": {"Type": "Pass", "End": True}}}


def orders(approver_arn: str) -> dict:
    """Charges through Lambda (mocked by test case Paid), then waits for an approval: a child
    execution of the approver is handed the task token, which the test answers."""
    return {
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
                "ResultSelector": {"paid.$": "$.Payload.paid"},
                "Next": "Approve",
            },
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
                "Parameters": {"StateMachineArn": approver_arn, "Input": {"token.$": "$$.Task.Token"}},
                "ResultPath": "$.approval",
                "End": True,
            },
        },
    }


def says(word: str) -> dict:
    return {"StartAt": "Say", "States": {"Say": {"Type": "Pass", "Result": word, "End": True}}}


FAILING = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Demo.Boom", "Cause": "on purpose"}}}


class Serve(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary = subprocess.run(
            [str(ROOT / "tests" / "quickstep-binary")], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
        os.environ.update(CREDENTIALS)
        cls.mocks = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(MOCK_CONFIG, cls.mocks)
        cls.mocks.close()
        env = dict(os.environ, SFN_MOCK_CONFIG=cls.mocks.name)
        cls.server = subprocess.Popen(
            [binary, "serve", "--port", "0", "--clock", "virtual"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        line = cls.server.stdout.readline()
        if "listening on http://" not in line:
            cls.server.kill()
            raise AssertionError(f"quickstep serve did not start: {line!r} {cls.server.stderr.read()}")
        cls.endpoint = line.split("listening on ")[1].split()[0]
        cls.sfn = boto3.client("stepfunctions", endpoint_url=cls.endpoint)

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()
        cls.server.wait()
        os.unlink(cls.mocks.name)

    def create(self, name: str, definition: dict) -> str:
        answer = self.sfn.create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=ROLE, type="EXPRESS")
        return answer["stateMachineArn"]

    def wait_for_end(self, arn: str) -> dict:
        for _ in range(200):
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.05)
        raise AssertionError(f"{arn} is still running")

    def error_of(self, call, **kwargs) -> str:
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            call(**kwargs)
        error = caught.exception.response["Error"]
        self.assertTrue(error.get("Message"), error)
        return error["Code"]

    def test_a_state_machine_and_its_executions_with_boto3(self):
        arn = self.create("greeter", GREETER)
        self.assertEqual(arn, "arn:aws:states:us-east-1:123456789012:stateMachine:greeter")
        described = self.sfn.describe_state_machine(stateMachineArn=arn)
        self.assertEqual(described["name"], "greeter")
        self.assertEqual(json.loads(described["definition"]), GREETER)

        sync = self.sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps({"who": "sync", "pause": 0}))
        self.assertEqual(sync["status"], "SUCCEEDED", sync)
        self.assertEqual(json.loads(sync["output"]), {"greeting": "hello sync"})
        self.assertGreaterEqual(sync["billingDetails"]["billedDurationInMilliseconds"], 100)

        started = self.sfn.start_execution(
            stateMachineArn=arn, name="hour", input=json.dumps({"who": "async", "pause": 3600}))
        ended = self.wait_for_end(started["executionArn"])
        self.assertEqual(ended["status"], "SUCCEEDED", ended)
        self.assertEqual(json.loads(ended["output"]), {"greeting": "hello async"})
        self.assertEqual((ended["stopDate"] - ended["startDate"]).total_seconds(), 3600)

        # History, all at once and a page at a time, newest first.
        events = self.sfn.get_execution_history(executionArn=started["executionArn"])["events"]
        self.assertEqual(events[0]["type"], "ExecutionStarted")
        self.assertEqual(events[-1]["type"], "ExecutionSucceeded")
        entered = [e for e in events if e["type"] == "WaitStateEntered"]
        self.assertEqual(entered[0]["stateEnteredEventDetails"]["name"], "Wait")
        pages = self.sfn.get_paginator("get_execution_history").paginate(
            executionArn=started["executionArn"], reverseOrder=True, PaginationConfig={"PageSize": 2})
        ids = [e["id"] for page in pages for e in page["events"]]
        self.assertEqual(ids, [e["id"] for e in reversed(events)])

        # A running execution of the same name and input is returned, anything else refused.
        self.assertEqual(
            self.error_of(self.sfn.start_execution, stateMachineArn=arn, name="hour", input="{}"),
            "ExecutionAlreadyExists")

    def test_a_failure_and_a_stop(self):
        arn = self.create("failing", FAILING)
        sync = self.sfn.start_sync_execution(stateMachineArn=arn)
        self.assertEqual((sync["status"], sync["error"], sync["cause"]), ("FAILED", "Demo.Boom", "on purpose"))
        waiting = self.create("waiting", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}})
        # On the virtual clock the wait ends at once, so stop whatever state it is in: a
        # stopped one is ABORTED, an ended one stays as it ended.
        started = self.sfn.start_execution(stateMachineArn=waiting)
        stopped = self.sfn.stop_execution(executionArn=started["executionArn"], error="Demo.Stop", cause="enough")
        self.assertIn("stopDate", stopped)
        self.assertIn(self.wait_for_end(started["executionArn"])["status"], {"ABORTED", "SUCCEEDED"})

    def test_errors_carry_step_functions_names(self):
        arn = self.create("named", GREETER)
        standard = self.sfn.create_state_machine(  # no type: STANDARD, as on AWS
            name="standard", definition=json.dumps(GREETER), roleArn=ROLE)["stateMachineArn"]
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=standard)["type"], "STANDARD")
        missing_machine = "arn:aws:states:us-east-1:123456789012:stateMachine:nope"
        missing_execution = "arn:aws:states:us-east-1:123456789012:express:nope:x:y"
        sfn = self.sfn
        cases = [
            (sfn.describe_state_machine, {"stateMachineArn": missing_machine}, "StateMachineDoesNotExist"),
            (sfn.start_execution, {"stateMachineArn": missing_machine}, "StateMachineDoesNotExist"),
            (sfn.start_sync_execution, {"stateMachineArn": missing_machine}, "StateMachineDoesNotExist"),
            (sfn.describe_state_machine, {"stateMachineArn": "not-an-arn"}, "InvalidArn"),
            (sfn.describe_execution, {"executionArn": missing_execution}, "ExecutionDoesNotExist"),
            (sfn.get_execution_history, {"executionArn": missing_execution}, "ExecutionDoesNotExist"),
            (sfn.create_state_machine, {"name": "bad", "definition": "{}", "roleArn": ROLE}, "InvalidDefinition"),
            (sfn.create_state_machine, {"name": "named", "definition": json.dumps(FAILING), "roleArn": ROLE},
             "StateMachineAlreadyExists"),
            (sfn.start_execution, {"stateMachineArn": arn, "input": "{not json"}, "InvalidExecutionInput"),
            (sfn.start_execution, {"stateMachineArn": arn, "name": "a/b"}, "InvalidName"),
            (sfn.send_task_success, {"taskToken": "forged", "output": "{}"}, "InvalidToken"),
            (sfn.start_sync_execution, {"stateMachineArn": standard}, "StateMachineTypeNotSupported"),
        ]
        for call, kwargs, name in cases:
            with self.subTest(call=call.__name__, kwargs=kwargs):
                self.assertEqual(self.error_of(call, **kwargs), name)

    def test_lists_with_paginators_and_deletion(self):
        arn = self.create("listed", GREETER)
        names = [m["name"] for page in self.sfn.get_paginator("list_state_machines").paginate(
            PaginationConfig={"PageSize": 1}) for m in page["stateMachines"]]
        self.assertIn("listed", names)
        self.assertEqual(names, sorted(names))
        started = [self.sfn.start_execution(stateMachineArn=arn, name=f"run-{i}",
                                            input=json.dumps({"who": i, "pause": 1}))["executionArn"]
                   for i in range(3)]
        for execution in started:
            self.wait_for_end(execution)
        pages = self.sfn.get_paginator("list_executions").paginate(
            stateMachineArn=arn, statusFilter="SUCCEEDED", PaginationConfig={"PageSize": 2})
        listed = [e for page in pages for e in page["executions"]]
        self.assertEqual(sorted(e["executionArn"] for e in listed), sorted(started))
        self.assertTrue(all(e["status"] == "SUCCEEDED" and e["stopDate"] >= e["startDate"] for e in listed))
        ran = self.sfn.describe_state_machine_for_execution(executionArn=started[0])
        self.assertEqual(json.loads(ran["definition"]), GREETER)

        self.sfn.delete_state_machine(stateMachineArn=arn)
        self.assertEqual(self.error_of(self.sfn.describe_state_machine, stateMachineArn=arn),
                         "StateMachineDoesNotExist")
        self.assertEqual(self.error_of(self.sfn.list_executions, stateMachineArn=arn), "StateMachineDoesNotExist")
        self.assertEqual(self.sfn.describe_execution(executionArn=started[0])["status"], "SUCCEEDED")
        names = [m["name"] for m in self.sfn.list_state_machines()["stateMachines"]]
        self.assertNotIn("listed", names)

    def test_test_state_at_each_inspection_level(self):
        task = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:price",
                "Parameters": {"sku.$": "$.sku"}, "ResultSelector": {"price.$": "$.Payload.price"},
                "ResultPath": "$.quote",
                "Retry": [{"ErrorEquals": ["Throttled"], "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Apologise"}], "Next": "Bill"}
        levels = {}
        for level in ("INFO", "DEBUG", "TRACE"):
            levels[level] = self.sfn.test_state(
                definition=json.dumps(task), roleArn=ROLE, input=json.dumps({"sku": "A1"}), inspectionLevel=level,
                mock={"result": json.dumps({"Payload": {"price": 12}})})
        info = levels["INFO"]
        self.assertEqual((info["status"], info["nextState"]), ("SUCCEEDED", "Bill"))
        self.assertEqual(json.loads(info["output"]), {"sku": "A1", "quote": {"price": 12}})
        self.assertNotIn("inspectionData", info)
        for level in ("DEBUG", "TRACE"):
            data = levels[level]["inspectionData"]
            self.assertEqual(json.loads(data["afterParameters"]), {"sku": "A1"})
            self.assertEqual(json.loads(data["result"]), {"Payload": {"price": 12}})
            self.assertEqual(json.loads(data["afterResultSelector"]), {"price": 12})
        # Without input, Parameters' path finds nothing: States.Runtime, which no Retrier or Catcher matches.
        runtime = self.sfn.test_state(definition=json.dumps(task), roleArn=ROLE, mock={"result": "{}"})
        self.assertEqual((runtime["status"], runtime["error"]), ("FAILED", "States.Runtime"))
        retriable = self.sfn.test_state(definition=json.dumps(task), roleArn=ROLE, inspectionLevel="DEBUG",
                                        input=json.dumps({"sku": "A1"}),
                                        mock={"errorOutput": {"error": "Throttled", "cause": "slow down"}})
        self.assertEqual((retriable["status"], retriable["error"]), ("RETRIABLE", "Throttled"))
        self.assertEqual(retriable["inspectionData"]["errorDetails"]["retryIndex"], 0)
        caught = self.sfn.test_state(definition=json.dumps(task), roleArn=ROLE, input=json.dumps({"sku": "A1"}),
                                     mock={"errorOutput": {"error": "Broken", "cause": "no"}})
        self.assertEqual((caught["status"], caught["nextState"]), ("CAUGHT_ERROR", "Apologise"))

    def test_an_execution_has_a_page(self):
        import urllib.parse
        import urllib.request
        arn = self.sfn.create_state_machine(name="paged", definition=json.dumps(says("page")),
                                            roleArn=ROLE)["stateMachineArn"]
        started = self.sfn.start_execution(stateMachineArn=arn, name="p-1")["executionArn"]
        for _ in range(100):
            if self.sfn.describe_execution(executionArn=started)["status"] != "RUNNING":
                break
            time.sleep(0.05)
        url = f"{self.endpoint}/executions/{urllib.parse.quote(started, safe='')}/graph"
        with urllib.request.urlopen(url) as answer:
            self.assertEqual(answer.headers["Content-Type"], "text/html; charset=utf-8")
            page = answer.read().decode()
        self.assertTrue(page.startswith("<!doctype html>"))
        self.assertIn('<span class="status SUCCEEDED" id="status">SUCCEEDED</span>', page)
        self.assertIn("<title>paged · p-1 · quickstep</title>", page)

    def test_test_state_of_a_map_with_a_mock_and_a_context(self):
        machine = {"StartAt": "Lines", "States": {"Lines": {
            "Type": "Map", "ItemsPath": "$$.Execution.Input.lines", "MaxConcurrency": 4,
            "ToleratedFailureCount": 0,
            "ItemProcessor": {"StartAt": "Price", "States": {"Price": {
                "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:price", "End": True}}},
            "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Partial"}],
            "End": True}, "Partial": {"Type": "Succeed"}}}
        context = {"Execution": {"Input": {"lines": ["a", "b", "c"]}}}
        ran = self.sfn.test_state(definition=json.dumps(machine), stateName="Lines", roleArn=ROLE,
                                  inspectionLevel="TRACE", context=json.dumps(context),
                                  mock={"result": json.dumps([1, 2, 3])})
        self.assertEqual((ran["status"], json.loads(ran["output"])), ("SUCCEEDED", [1, 2, 3]))
        data = ran["inspectionData"]
        self.assertEqual(json.loads(data["afterItemsPath"]), ["a", "b", "c"])
        self.assertEqual((data["maxConcurrency"], data["toleratedFailureCount"]), (4, 0))
        caught = self.sfn.test_state(definition=json.dumps(machine), stateName="Lines", roleArn=ROLE,
                                     context=json.dumps(context), mock={"result": json.dumps([1, 2, 3])},
                                     stateConfiguration={"mapIterationFailureCount": 1})
        self.assertEqual((caught["status"], caught["nextState"], caught["error"]),
                         ("CAUGHT_ERROR", "Partial", "States.ExceedToleratedFailureThreshold"))
        self.assertEqual(self.error_of(self.sfn.test_state, definition=json.dumps(machine), stateName="Lines",
                                       roleArn=ROLE), "InvalidDefinition")

    def test_versions_and_aliases(self):
        sfn = self.sfn
        created = sfn.create_state_machine(name="versioned", definition=json.dumps(says("one")), roleArn=ROLE,
                                           type="EXPRESS", publish=True, versionDescription="first")
        arn, v1 = created["stateMachineArn"], created["stateMachineVersionArn"]
        self.assertEqual(v1, arn + ":1")
        v2 = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(says("two")),
                                      publish=True)["stateMachineVersionArn"]
        self.assertEqual(v2, arn + ":2")
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(says("three")))
        # boto3 has no paginator for it: pages by hand.
        first = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=1)
        rest = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=1, nextToken=first["nextToken"])
        versions = [v["stateMachineVersionArn"] for v in first["stateMachineVersions"] + rest["stateMachineVersions"]]
        self.assertEqual(versions, [v2, v1])
        self.assertNotIn("nextToken", rest)
        self.assertEqual(sfn.describe_state_machine(stateMachineArn=v1)["description"], "first")
        # Synchronous and asynchronous executions of a version, and through an alias.
        self.assertEqual(json.loads(sfn.start_sync_execution(stateMachineArn=v1)["output"]), "one")
        alias = sfn.create_state_machine_alias(
            name="live", routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}])["stateMachineAliasArn"]
        self.assertEqual(alias, arn + ":live")
        started = sfn.start_execution(stateMachineArn=alias)
        ended = self.wait_for_end(started["executionArn"])
        self.assertEqual((json.loads(ended["output"]), ended["stateMachineAliasArn"], ended["stateMachineVersionArn"]),
                         ("two", alias, v2))
        listed = sfn.list_executions(stateMachineArn=alias)["executions"]
        self.assertEqual([e["executionArn"] for e in listed], [started["executionArn"]])
        sfn.update_state_machine_alias(stateMachineAliasArn=alias, description="users",
                                       routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])
        described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
        self.assertEqual((described["description"], described["routingConfiguration"]),
                         ("users", [{"stateMachineVersionArn": v1, "weight": 100}]))
        self.assertEqual([a["stateMachineAliasArn"] for a in sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]],
                         [alias])
        with self.assertRaises(sfn.exceptions.ConflictException):
            sfn.delete_state_machine_version(stateMachineVersionArn=v1)
        sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
        sfn.delete_state_machine_version(stateMachineVersionArn=v1)
        with self.assertRaises(sfn.exceptions.StateMachineDoesNotExist):
            sfn.start_execution(stateMachineArn=v1)
        with self.assertRaises(sfn.exceptions.ResourceNotFound):
            sfn.describe_state_machine_alias(stateMachineAliasArn=alias)

    def test_redrive_a_failed_execution(self):
        # Fails until its input says otherwise: redriving reruns the failed state with the same
        # input, so here it fails again, and the redrive shows in the history and the counts.
        arn = self.create("redriven", {"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Fine"}],
                      "Default": "Boom"},
            "Boom": {"Type": "Fail", "Error": "Demo.Boom", "Cause": "not ok"},
            "Fine": {"Type": "Succeed"}}})
        started = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps({"ok": False}))
        failed = self.wait_for_end(started["executionArn"])
        self.assertEqual((failed["status"], failed["redriveStatus"]), ("FAILED", "REDRIVABLE"))
        redriven = self.sfn.redrive_execution(executionArn=started["executionArn"])
        self.assertIn("redriveDate", redriven)
        again = self.wait_for_end(started["executionArn"])
        self.assertEqual((again["status"], again["redriveCount"]), ("FAILED", 1))
        events = self.sfn.get_execution_history(executionArn=started["executionArn"])["events"]
        self.assertIn("ExecutionRedriven", [e["type"] for e in events])
        with self.assertRaises(self.sfn.exceptions.ExecutionNotRedrivable):
            done = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps({"ok": True}))
            self.wait_for_end(done["executionArn"])
            self.sfn.redrive_execution(executionArn=done["executionArn"])

    def test_tags(self):
        arn = self.sfn.create_state_machine(name="tagged", definition=json.dumps(GREETER), roleArn=ROLE,
                                            type="EXPRESS", tags=[{"key": "team", "value": "payments"}])["stateMachineArn"]
        self.sfn.tag_resource(resourceArn=arn, tags=[{"key": "tier", "value": "1"}])
        self.sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
        self.assertEqual(self.sfn.list_tags_for_resource(resourceArn=arn)["tags"], [{"key": "tier", "value": "1"}])
        missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nope"
        self.assertEqual(self.error_of(self.sfn.list_tags_for_resource, resourceArn=missing), "ResourceNotFound")

    def test_validate_state_machine_definition(self):
        ok = self.sfn.validate_state_machine_definition(definition=json.dumps(GREETER))
        self.assertEqual((ok["result"], ok["diagnostics"]), ("OK", []))
        bad = self.sfn.validate_state_machine_definition(definition=json.dumps({"StartAt": "X", "States": {}}))
        self.assertEqual(bad["result"], "FAIL")
        self.assertTrue(all(d["severity"] == "ERROR" and d["code"] and d["location"] for d in bad["diagnostics"]))

    def aws_cli(self):
        """A function running `aws stepfunctions ARGS` against the server, answering its JSON."""
        if not AWS_CLI.is_file():
            raise AssertionError(f"{AWS_CLI} is missing: tests/run installs the AWS CLI there")
        env = dict(os.environ, **CREDENTIALS)

        def aws(*args: str) -> dict:
            result = subprocess.run(
                [str(AWS_CLI), "stepfunctions", *args, "--endpoint-url", self.endpoint, "--output", "json"],
                env=env, capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, result.stderr)
            return json.loads(result.stdout) if result.stdout.strip() else {}

        return aws

    def test_the_aws_cli(self):
        aws = self.aws_cli()
        env = dict(os.environ, **CREDENTIALS)

        arn = aws("create-state-machine", "--name", "cli", "--definition", json.dumps(GREETER),
                  "--role-arn", ROLE, "--type", "EXPRESS")["stateMachineArn"]
        sync = aws("start-sync-execution", "--state-machine-arn", arn, "--input", '{"who": "cli", "pause": 0}')
        self.assertEqual(json.loads(sync["output"]), {"greeting": "hello cli"})
        execution = aws("start-execution", "--state-machine-arn", arn, "--input", '{"who": "cli", "pause": 60}')
        ended = self.wait_for_end(execution["executionArn"])
        self.assertEqual(ended["status"], "SUCCEEDED")
        described = aws("describe-execution", "--execution-arn", execution["executionArn"])
        self.assertEqual(described["status"], "SUCCEEDED")
        history = aws("get-execution-history", "--execution-arn", execution["executionArn"], "--reverse-order")
        self.assertEqual(history["events"][0]["type"], "ExecutionSucceeded")
        listed = aws("list-executions", "--state-machine-arn", arn, "--status-filter", "SUCCEEDED")
        self.assertIn(execution["executionArn"], [e["executionArn"] for e in listed["executions"]])
        machines = aws("list-state-machines")["stateMachines"]
        self.assertIn(arn, [m["stateMachineArn"] for m in machines])
        tested = aws("test-state", "--definition", json.dumps(GREETER["States"]["Greet"]), "--role-arn", ROLE,
                     "--input", '{"who": "cli", "pause": 0}', "--inspection-level", "DEBUG")
        self.assertEqual((tested["status"], tested["nextState"]), ("SUCCEEDED", "Wait"))
        self.assertEqual(json.loads(tested["inspectionData"]["afterParameters"]), {"greeting": "hello cli", "pause": 0})
        validated = aws("validate-state-machine-definition", "--definition", json.dumps(GREETER))
        self.assertEqual(validated["result"], "OK")
        # An error is the CLI's usual one, naming Step Functions' error.
        result = subprocess.run(
            [str(AWS_CLI), "stepfunctions", "describe-execution", "--execution-arn",
             "arn:aws:states:us-east-1:123456789012:express:cli:none:x", "--endpoint-url", self.endpoint],
            env=env, capture_output=True, text=True)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ExecutionDoesNotExist", result.stderr)

    def test_a_mocked_test_case_and_a_callback_with_the_aws_cli(self):
        aws = self.aws_cli()
        approver = aws("create-state-machine", "--name", "approver", "--definition", json.dumps(APPROVER),
                       "--role-arn", ROLE)["stateMachineArn"]
        arn = aws("create-state-machine", "--name", "orders", "--definition", json.dumps(orders(approver)),
                  "--role-arn", ROLE)["stateMachineArn"]
        # As with Step Functions Local: the test case follows the state machine's ARN.
        started = aws("start-execution", "--state-machine-arn", f"{arn}#Paid", "--name", "order-1",
                      "--input", '{"order": 1}')
        self.assertEqual(started["executionArn"], arn.replace(":stateMachine:", ":express:") + ":order-1")
        children = []
        for _ in range(200):
            children = aws("list-executions", "--state-machine-arn", approver)["executions"]
            if children:
                break
            time.sleep(0.05)
        self.assertEqual(len(children), 1, children)
        child = aws("describe-execution", "--execution-arn", children[0]["executionArn"])
        token = json.loads(child["input"])["token"]
        self.assertEqual(aws("describe-execution", "--execution-arn", started["executionArn"])["status"], "RUNNING")
        aws("send-task-success", "--task-token", token, "--task-output", '{"approved": true}')
        ended = self.wait_for_end(started["executionArn"])
        self.assertEqual(ended["status"], "SUCCEEDED", ended)
        self.assertEqual(json.loads(ended["output"]), {"paid": True, "approval": {"approved": True}})
        # Without the test case, Charge calls Lambda for real: here there is none to call.
        real = aws("start-execution", "--state-machine-arn", arn, "--input", '{"order": 2}')
        self.assertEqual(self.wait_for_end(real["executionArn"])["status"], "FAILED")


if __name__ == "__main__":
    runner = unittest.TextTestRunner(verbosity=2, stream=sys.stdout)
    result = runner.run(unittest.defaultTestLoader.loadTestsFromTestCase(Serve))
    failed = len(result.failures) + len(result.errors)
    print(f"serve: {result.testsRun - failed} passed, {failed} failed")
    sys.exit(0 if result.wasSuccessful() else 1)
