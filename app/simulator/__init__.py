"""Kie-compatible simulator: demo mode, tests and benchmarks.

from app.simulator import SimulatorConfig, create_simulator_app
from app.simulator.testing import running_simulator, running_simulator_sync
"""

from app.simulator.app import create_simulator_app
from app.simulator.config import SimulatorConfig
from app.simulator.state import SimulatorState

__all__ = ["SimulatorConfig", "SimulatorState", "create_simulator_app"]
