"""`python -m cbcw.connectwise.simulator --port 5055`."""
from cbcw.connectwise.simulator.cli import cw_sim_command

cw_sim_command(prog_name="python -m cbcw.connectwise.simulator")
