# Renders shm-bench's --plot-data file: median throughput per transport and message size.
# gnuplot -e "datafile='bench/throughput.dat'; output='bench/throughput.png'" bench/throughput.gp
# (add "rounds=7" to -e when the run had other than 5 rounds)
set terminal pngcairo size 1100,560 font "DejaVu Sans,11" noenhanced
set output output
if (!exists("rounds")) rounds = 5
set title sprintf("Messages per second, writer and reader on different cores (median of %d rounds; log scale)", rounds)
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [1000:*]
set format y "%.0s%c"
set ylabel "messages/s"
set xlabel "message size"
set grid ytics
set key outside right top vertical
columns = system("head -1 ".datafile." | awk -F'\" \"' '{print NF}'")
plot for [i=2:columns+1] datafile using i:xtic(1) title columnheader(i)
