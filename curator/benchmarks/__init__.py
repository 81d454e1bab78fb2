"""`curator bench quality|speed`: figures for the two claims a culling tool must back up.

quality.py scores an (image, MOS) list and reports SRCC/KRCC/PLCC/RMSE as the
IQA literature does; speed.py times each stage of scoring and the pipelined
whole. machine.py, synth.py, random_weights.py and sink.py are their helpers.
Benchmarks print figures; they are not timed tests.
"""
