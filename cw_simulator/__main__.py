"""`python -m cw_simulator --port 5055`."""
from cw_simulator.cli import cw_sim_command

cw_sim_command(prog_name="python -m cw_simulator")
