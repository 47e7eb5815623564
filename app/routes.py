"""Route constants and URL builders: one place that knows the app's paths."""

CREATE = "/"
TASKS = "/tasks"
TASK = "/task"
STATUS = "/status"
SETTINGS = "/settings"
DASHBOARD = "/dashboard"
LOGIN = "/login"
SETUP = "/setup"


def task_url(task_id: str) -> str:
    return f"{TASK}?id={task_id}"


def batch_url(batch_id: str) -> str:
    """A batch is shown as the task list narrowed to its variants."""
    return f"{TASKS}?batch={batch_id}"
