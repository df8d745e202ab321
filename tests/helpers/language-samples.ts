// One paragraph of prose in several languages (the same story in each): the language check's unit tests and
// the e2e pages in other languages are built from these.
export const SAMPLES = {
  English:
    'The bridge was completed in 1932 after nine years of work. It carried a railway line and a road across the river, and for a long time it was the longest steel arch in the world. Engineers who worked on it later said that the hardest part had been the foundations, which had to be sunk into soft clay under the water.',
  French:
    "Le pont a été achevé en 1932 après neuf années de travaux. Il portait une voie ferrée et une route au-dessus du fleuve, et pendant longtemps il a été la plus longue arche en acier du monde. Les ingénieurs qui y ont travaillé ont dit plus tard que la partie la plus difficile avait été les fondations, qu'il fallait enfoncer dans une argile molle sous l'eau.",
  German:
    'Die Brücke wurde 1932 nach neun Jahren Bauzeit fertiggestellt. Sie trug eine Eisenbahnlinie und eine Straße über den Fluss, und lange Zeit war sie der längste Stahlbogen der Welt. Die Ingenieure, die an ihr gearbeitet hatten, sagten später, dass die Fundamente der schwierigste Teil gewesen seien, weil sie in weichen Ton unter dem Wasser gesenkt werden mussten.',
  Spanish:
    'El puente se terminó en 1932 después de nueve años de obras. Llevaba una línea de ferrocarril y una carretera sobre el río, y durante mucho tiempo fue el arco de acero más largo del mundo. Los ingenieros que trabajaron en él dijeron más tarde que la parte más difícil habían sido los cimientos, que hubo que hundir en una arcilla blanda bajo el agua.',
  Italian:
    "Il ponte fu completato nel 1932 dopo nove anni di lavori. Portava una linea ferroviaria e una strada sopra il fiume, e per molto tempo è stato l'arco in acciaio più lungo del mondo. Gli ingegneri che ci hanno lavorato dissero più tardi che la parte più difficile erano state le fondamenta, che dovevano essere affondate in un'argilla morbida sotto l'acqua.",
  Portuguese:
    'A ponte foi concluída em 1932 depois de nove anos de obras. Ela levava uma linha de trem e uma estrada por cima do rio, e por muito tempo foi o arco de aço mais longo do mundo. Os engenheiros que trabalharam nela disseram mais tarde que a parte mais difícil tinha sido as fundações, que tiveram de ser afundadas numa argila mole debaixo da água.',
  Dutch:
    'De brug werd in 1932 voltooid na negen jaar werk. Hij droeg een spoorlijn en een weg over de rivier, en lange tijd was het de langste stalen boog ter wereld. De ingenieurs die eraan hadden gewerkt, zeiden later dat de funderingen het moeilijkste deel waren geweest, omdat die in zachte klei onder het water moesten worden neergelaten.',
  Chinese:
    '这座桥经过九年的施工，于1932年建成。它在河上承载着一条铁路和一条公路，在很长一段时间里，它是世界上最长的钢拱桥。参与建设的工程师们后来说，最困难的部分是地基，因为地基必须沉入水下松软的黏土中。',
  Japanese:
    'この橋は九年間の工事を経て、1932年に完成しました。川の上に鉄道と道路を通し、長い間、世界で最も長い鋼のアーチ橋でした。建設に携わった技術者たちは後に、最も難しかったのは基礎で、水の下の柔らかい粘土の中に沈めなければならなかったと語りました。',
  Arabic:
    'اكتمل بناء الجسر في عام 1932 بعد تسع سنوات من العمل. كان يحمل خطاً للسكك الحديدية وطريقاً فوق النهر، وظل لفترة طويلة أطول قوس فولاذي في العالم. وقال المهندسون الذين عملوا فيه لاحقاً إن الجزء الأصعب كان الأساسات التي كان لا بد من إنزالها في طين لين تحت الماء.',
  Russian:
    'Мост был построен в 1932 году после девяти лет работ. По нему проходили железная дорога и шоссе через реку, и долгое время он был самой длинной стальной аркой в мире. Инженеры, работавшие на нём, позже говорили, что самой трудной частью были фундаменты, которые пришлось опускать в мягкую глину под водой.',
  Korean:
    '이 다리는 9년간의 공사 끝에 1932년에 완공되었다. 다리는 강 위로 철도와 도로를 함께 실어 날랐고, 오랫동안 세계에서 가장 긴 강철 아치였다. 건설에 참여한 기술자들은 나중에 가장 어려운 부분이 물속의 부드러운 점토에 박아야 했던 기초였다고 말했다.',
};
