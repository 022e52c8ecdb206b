"""The local loop of the README, run for real: moto's server, `quickstep setup`, the three
functions under `cargo lambda watch`, every sample event in events/ through `cargo lambda
invoke`, an asynchronous execution carried by `quickstep pump`, and Lambda Tasks served by
`cargo lambda watch` (the `greeter` function) for both the deployed worker and `quickstep run`.

Run by tests/run after the cargo tests (so `cargo lambda watch` reuses their build), with
moto and cargo-lambda installed in .venv. Fails, saying what is missing, without them.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
EVENTS = ROOT / "events"
# The first invocation of each function compiles it.
FIRST_INVOKE_TIMEOUT = 900


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, what, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout} s")


class LocalLoop(unittest.TestCase):
    """One moto server and one `cargo lambda watch` for every test, as a user would run them."""

    processes = []
    log_files = []

    @classmethod
    def setUpClass(cls):
        for tool in ("moto_server", "cargo-lambda"):
            if not (VENV_BIN / tool).exists():
                raise RuntimeError(
                    f"{VENV_BIN / tool} is missing: tests/run installs moto[server] and cargo-lambda into .venv"
                )
        cls.workdir = Path(tempfile.mkdtemp(prefix="quickstep-local-loop-"))
        cls.quickstep = subprocess.run(
            [str(ROOT / "tests" / "quickstep-binary")], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()

        moto_port, cls.watch_port = free_port(), free_port()
        cls.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AWS_") and not k.startswith("QUICKSTEP_")
        }
        cls.env.update(
            PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
            AWS_ENDPOINT_URL=f"http://127.0.0.1:{moto_port}",
            AWS_ENDPOINT_URL_LAMBDA=f"http://127.0.0.1:{cls.watch_port}",
            AWS_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
        )
        moto = cls.start(
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)], "moto.log"
        )
        wait_for_port(moto_port, moto, "moto_server")

        setup = subprocess.run(
            [cls.quickstep, "setup"], env=cls.env, capture_output=True, text=True, check=True
        )
        cls.resources = json.loads(setup.stdout)

        env_file = cls.workdir / "functions.env"
        env_file.write_text(
            "\n".join(
                [
                    "QUICKSTEP_TABLE=" + cls.resources["table"],
                    "QUICKSTEP_STEP_QUEUE_URL=" + cls.resources["stepQueueUrl"],
                    "QUICKSTEP_EVENT_BUS=" + cls.resources["bus"],
                    "QUICKSTEP_DEAD_LETTER_QUEUE_ARN=" + cls.resources["deadLetterQueueArn"],
                    "QUICKSTEP_STATE_MACHINE=hello",
                    "",
                ]
            )
        )
        watch = cls.start(
            [
                "cargo", "lambda", "watch", "--ignore-changes", "--quiet",
                "-P", str(cls.watch_port), "--env-file", str(env_file),
            ],
            "watch.log",
        )
        wait_for_port(cls.watch_port, watch, "cargo lambda watch")

    @classmethod
    def start(cls, command, log):
        log_file = (cls.workdir / log).open("w")
        cls.log_files.append(log_file)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=cls.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        cls.processes.append(process)
        return process

    @classmethod
    def tearDownClass(cls):
        for process in cls.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
        for log_file in cls.log_files:
            log_file.close()
        if sys.exc_info()[0] is None:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    def logs(self):
        return "\n".join(
            f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(self.workdir.glob("*.log"))
        )

    def invoke(self, function, event_file=None, data=None):
        """`cargo lambda invoke` of a sample event (or of `data`); the function's response."""
        command = ["cargo", "lambda", "invoke", function, "-P", str(self.watch_port)]
        command += ["--data-file", str(EVENTS / event_file)] if event_file else ["--data-ascii", json.dumps(data)]
        done = subprocess.run(
            command, cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=FIRST_INVOKE_TIMEOUT,
        )
        self.assertEqual(done.returncode, 0, f"{command}\n{done.stdout}\n{done.stderr}\n{self.logs()}")
        return json.loads(done.stdout)

    def api(self, event_file=None, data=None):
        """An API response: (status, body as JSON)."""
        response = self.invoke("quickstep-api", event_file, data)
        return response["statusCode"], json.loads(response["body"])

    def pump_until(self, arn, done):
        """`quickstep pump --once` (step messages to the worker under `cargo lambda watch`) until
        `done(description, history events)` holds for execution `arn`; its description."""
        worker = f"http://127.0.0.1:{self.watch_port}/2015-03-31/functions/quickstep-worker/invocations"
        path = "/executions/" + urllib.parse.quote(arn, safe="")
        for _ in range(20):
            pumped = subprocess.run(
                [
                    self.quickstep, "pump", "--once", "--wait-time-seconds", "2",
                    "--queue-url", self.resources["stepQueueUrl"],
                    "--dead-letter-queue-url", self.resources["deadLetterQueueUrl"],
                    "--function-url", worker,
                ],
                env=self.env, capture_output=True, text=True, timeout=FIRST_INVOKE_TIMEOUT,
            )
            self.assertEqual(pumped.returncode, 0, pumped.stderr + self.logs())
            _, description = self.api(data=api_event("GET", path))
            _, history = self.api(data=api_event("GET", path + "/history"))
            if done(description, history["events"]):
                return description
        self.fail(f"{arn} never got there: {description}\n{self.logs()}")

    def start_async(self, machine, definition, execution_input):
        """Stores `definition` as `machine` and starts an asynchronous execution; its ARN."""
        status, body = self.api(data=api_event("PUT", f"/state-machines/{machine}", definition))
        self.assertEqual(status, 200, body)
        status, body = self.api(
            data=api_event("POST", f"/state-machines/{machine}/executions", execution_input)
        )
        self.assertEqual(status, 202, body)
        return body["executionArn"]

    def test_1_every_sample_event_gives_its_documented_response(self):
        status, body = self.api("api-v1-put-state-machine.json")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["name"], "hello")
        self.assertEqual(body["stateMachineArn"], "arn:aws:states:us-east-1:123456789012:stateMachine:hello")
        revision = body["revision"]

        status, body = self.api("api-v2-get-state-machine.json")
        self.assertEqual((status, body["revision"]), (200, revision))
        self.assertEqual(body["definition"]["StartAt"], "Greet")

        status, body = self.api("api-v2-post-sync.json")
        self.assertEqual((status, body["status"]), (200, "SUCCEEDED"), body)
        self.assertEqual(body["name"], "first-sync")
        self.assertEqual(json.loads(body["output"]), {"greeting": "Hello, Ada!"})
        self.assertGreaterEqual(body["billingDetails"]["billedDurationInMilliseconds"], 100)

        status, body = self.api("api-v1-post-executions.json")
        self.assertEqual(status, 202, body)
        arn = "arn:aws:states:us-east-1:123456789012:express:hello:first-run"
        self.assertEqual(body["executionArn"], arn)

        status, body = self.api("api-v2-get-execution.json")
        self.assertEqual((status, body["status"]), (200, "SUCCEEDED"), body)
        self.assertEqual(json.loads(body["output"]), {"greeting": "Hello, Grace!"})

        # The same through the Step Functions API (POST / with X-Amz-Target: AWS JSON 1.0).
        status, body = self.api("api-v2-post-stepfunctions-describe-execution.json")
        self.assertEqual((status, body["status"], body["executionArn"]), (200, "SUCCEEDED", arn), body)

        status, body = self.api("api-v2-get-history.json")
        self.assertEqual(status, 200, body)
        self.assertEqual(
            [e["type"] for e in body["events"]],
            ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"],
        )

        status, body = self.api("api-v1-delete-execution.json")
        self.assertEqual(status, 200, body)  # stopping an ended execution changes nothing
        status, body = self.api("api-v2-get-execution.json")
        self.assertEqual(body["status"], "SUCCEEDED")

        # Answers for tasks that wait for their token: first-run has none waiting any more.
        for event in ["api-v2-post-task-success.json", "api-v2-post-task-heartbeat.json"]:
            status, body = self.api(event)
            self.assertEqual((status, body["error"]), (400, "TaskTimedOut"), event)
        status, body = self.api("api-v1-post-task-failure.json")
        self.assertEqual((status, body["error"]), (400, "InvalidToken"), body)

        # The step message of an ended execution is dropped; the unparsable one is reported
        # failed, so SQS redelivers it and in the end moves it to the dead-letter queue.
        response = self.invoke("quickstep-worker", "worker-sqs-step-batch.json")
        self.assertEqual(
            response, {"batchItemFailures": [{"itemIdentifier": "00000001-aaaa-bbbb-cccc-dddddddddddd"}]}
        )
        # A dead letter for an execution that already ended leaves it as it was.
        response = self.invoke("quickstep-worker", "dlq-sqs-batch.json")
        self.assertEqual(response, {"batchItemFailures": []})
        status, body = self.api("api-v2-get-execution.json")
        self.assertEqual(body["status"], "SUCCEEDED")

        # The event id names the execution: the same event twice starts one execution.
        first = self.invoke("quickstep-trigger", "trigger-eventbridge-event.json")
        again = self.invoke("quickstep-trigger", "trigger-eventbridge-event.json")
        self.assertEqual(
            first["executionArn"],
            "arn:aws:states:us-east-1:123456789012:express:hello:6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        )
        self.assertEqual(again["executionArn"], first["executionArn"])
        self.assertFalse(again["new"])

    def test_2_an_async_execution_with_a_wait_and_a_lambda_task_runs_through_the_pump(self):
        definition = {
            "StartAt": "Nap",
            "States": {
                "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Greet"},
                "Greet": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "greeter", "Payload.$": "$"},
                    "OutputPath": "$.Payload",
                    "End": True,
                },
            },
        }
        arn = self.start_async("later", definition, {"name": "Lovelace"})
        body = self.pump_until(arn, lambda description, _: description["status"] != "RUNNING")
        self.assertEqual(body["status"], "SUCCEEDED", body)
        self.assertEqual(json.loads(body["output"]), {"greeting": "Hello, Lovelace!"})

    def test_2b_an_async_execution_waits_for_its_task_token_until_it_is_answered(self):
        definition = {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {
                        "FunctionName": "greeter",
                        "Payload": {"name.$": "$.name", "token.$": "$$.Task.Token"},
                    },
                    "End": True,
                },
            },
        }
        arn = self.start_async("approval", definition, {"name": "Hopper"})
        # The worker calls greeter with the token, and the execution waits.
        self.pump_until(arn, lambda _, events: any(e["type"] == "TaskStarted" for e in events))
        _, history = self.api(data=api_event("GET", "/executions/" + urllib.parse.quote(arn, safe="") + "/history"))
        scheduled = next(e for e in history["events"] if e["type"] == "TaskScheduled")
        parameters = json.loads(scheduled["details"]["taskScheduledEventDetails"]["parameters"])
        token = parameters["Payload"]["token"]
        status, body = self.api(data=api_event("GET", "/executions/" + urllib.parse.quote(arn, safe="")))
        self.assertEqual(body["status"], "RUNNING", body)

        answer = {"taskToken": token, "output": json.dumps({"approved": True})}
        status, body = self.api(data=api_event("POST", "/tasks/success", answer))
        self.assertEqual((status, body), (200, {}))
        body = self.pump_until(arn, lambda description, _: description["status"] != "RUNNING")
        self.assertEqual(body["status"], "SUCCEEDED", body)
        self.assertEqual(json.loads(body["output"]), {"approved": True})

    def test_2c_boto3_speaks_the_step_functions_api_to_the_api_function_url(self):
        # `cargo lambda watch` serves each function's URL at /lambda-url/<function>, turning
        # requests into function URL (payload 2.0) events, as the deployed URL does.
        sfn, signatures = step_functions_client(f"http://127.0.0.1:{self.watch_port}/lambda-url/quickstep-api")
        definition = {
            "StartAt": "Greet",
            "States": {
                "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('Hi, {}!', $.name)"}, "End": True},
            },
        }
        created = sfn.create_state_machine(name="boto", definition=json.dumps(definition), type="EXPRESS",
                                           roleArn="arn:aws:iam::123456789012:role/r", publish=True)
        arn = created["stateMachineArn"]
        self.assertEqual(arn, "arn:aws:states:us-east-1:123456789012:stateMachine:boto")
        self.assertEqual(created["stateMachineVersionArn"], arn + ":1")
        # Signed for the Lambda function URL ("lambda"), not for Step Functions ("states").
        self.assertTrue(signatures and all("/us-east-1/lambda/aws4_request" in s for s in signatures), signatures)

        sync = sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps({"name": "Ada"}))
        self.assertEqual((sync["status"], json.loads(sync["output"])), ("SUCCEEDED", {"greeting": "Hi, Ada!"}))
        started = sfn.start_execution(stateMachineArn=arn + ":1", name="boto-async", input=json.dumps({"name": "Grace"}))
        described = self.pump_until(started["executionArn"], lambda d, _: d["status"] != "RUNNING")
        self.assertEqual(described["status"], "SUCCEEDED", described)
        described = sfn.describe_execution(executionArn=started["executionArn"])
        self.assertEqual((json.loads(described["output"]), described["stateMachineVersionArn"]),
                         ({"greeting": "Hi, Grace!"}, arn + ":1"))
        events = sfn.get_execution_history(executionArn=started["executionArn"], reverseOrder=True)["events"]
        self.assertEqual(events[0]["type"], "ExecutionSucceeded")
        listed = sfn.list_executions(stateMachineArn=arn)["executions"]
        self.assertEqual([e["executionArn"] for e in listed], [started["executionArn"]])
        machines = [m["name"] for page in sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 1})
                    for m in page["stateMachines"]]
        self.assertIn("boto", machines)
        tested = sfn.test_state(definition=json.dumps(definition["States"]["Greet"]), roleArn="arn:aws:iam::1:role/r",
                                input=json.dumps({"name": "Ida"}), inspectionLevel="DEBUG")
        self.assertEqual(json.loads(tested["inspectionData"]["afterParameters"]), {"greeting": "Hi, Ida!"})
        with self.assertRaises(sfn.exceptions.ExecutionDoesNotExist):
            sfn.describe_execution(executionArn=arn.replace(":stateMachine:", ":express:") + ":nope")
        with self.assertRaises(sfn.exceptions.StateMachineDoesNotExist):
            sfn.start_execution(stateMachineArn=arn + "-missing")

    def test_3_quickstep_run_calls_lambda_functions_served_by_cargo_lambda_watch(self):
        definition = self.workdir / "greet.asl.json"
        definition.write_text(
            json.dumps(
                {
                    "StartAt": "Greet",
                    "States": {
                        "Greet": {
                            "Type": "Task",
                            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:greeter",
                            "Next": "Refuse",
                        },
                        "Refuse": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName": "greeter", "Payload": {"fail": "OrderRejected"}},
                            "Catch": [{"ErrorEquals": ["OrderRejected"], "ResultPath": "$.caught", "Next": "Done"}],
                            "Next": "Done",
                        },
                        "Done": {"Type": "Succeed"},
                    },
                }
            )
        )
        done = subprocess.run(
            [
                self.quickstep, "run", str(definition), "--input-json", '{"name": "Ada"}',
                "--tasks", "aws", "--lambda-by-name",
            ],
            env=self.env, capture_output=True, text=True, timeout=FIRST_INVOKE_TIMEOUT,
        )
        self.assertEqual(done.returncode, 0, done.stderr + self.logs())
        report = json.loads(done.stdout)
        self.assertEqual(report["status"], "SUCCEEDED", report)
        self.assertEqual(report["output"]["greeting"], "Hello, Ada!")
        # The function's errorType is the error name, its error document the cause, as on AWS.
        self.assertEqual(report["output"]["caught"]["Error"], "OrderRejected")
        self.assertEqual(
            json.loads(report["output"]["caught"]["Cause"]),
            {"errorType": "OrderRejected", "errorMessage": "greeter was asked to fail with OrderRejected"},
        )


def step_functions_client(url):
    """A boto3 Step Functions client for quickstep's API function URL, as the README shows it:
    signed for the service `lambda` (a function URL with AWS_IAM checks that), and without the
    `sync-` host prefix of StartSyncExecution. Also answers the Authorization headers it sent."""
    import boto3
    from botocore.config import Config

    sfn = boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing",
                       config=Config(inject_host_prefix=False))

    def sign_for_lambda(request, **_):
        request.context.setdefault("signing", {})["signing_name"] = "lambda"

    sfn.meta.events.register("before-sign.sfn.*", sign_for_lambda)
    signatures = []
    sfn.meta.events.register("before-send.sfn.*", lambda request, **_: signatures.append(request.headers["Authorization"].decode() if isinstance(request.headers["Authorization"], bytes) else request.headers["Authorization"]))
    return sfn, signatures


def api_event(method, path, body=None):
    """An API Gateway HTTP API (v2) event."""
    raw_path, _, query = path.partition("?")
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "test"},
            "requestId": "local",
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1795305600000,
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


if __name__ == "__main__":
    unittest.main(verbosity=2)
