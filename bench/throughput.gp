# Renders shm-bench's --plot-data file: median throughput per transport and message size.
# gnuplot -e "datafile='bench/throughput.dat'; output='bench/throughput.png'" bench/throughput.gp
set terminal pngcairo size 1100,560 font "DejaVu Sans,11" noenhanced
set output output
set title "Messages per second, writer and reader on different cores (median of 5 rounds; log scale)"
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
