"""The benchmark suite: what each function costs to start, ship, run and call, measured on this machine
and written to ``docs/performance.md`` (``make bench``) or ``reports/performance-quick.md``
(``make bench-quick``).

Every speed is reported relative to a floor measured in the same run (the machine is shared and
noisy, so absolute times are noise); absolute figures are labelled as such, next to the machine.
The suite reads the functions, their code and their settings from ``template.yaml`` and the
``sam build`` output, so it measures whatever the application is, not a fixed shape of it.
"""
