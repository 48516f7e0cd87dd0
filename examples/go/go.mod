module example.com/seqpulse-ds-metrics

go 1.19
